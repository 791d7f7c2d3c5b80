// SPDX-License-Identifier: GPL-2.0
/*
 * syscall_helper OP N [OP N ...]: system calls on demand for t/syscall.t,
 * made with syscall(2) so that the name the kernel sees is the one asked
 * for (glibc's nanosleep() is clock_nanosleep, its close() may be skipped).
 *   getppid N    N getppid() calls
 *   nanosleep MS one nanosleep() of MS milliseconds
 *   badclose N   N close(-1) calls, each failing with EBADF
 *   name NAME    rename itself (prctl PR_SET_NAME): the comm filter's view
 *   setreuid UID setreuid(UID, UID): the call returns under another uid
 *   mmap BYTES   one anonymous mmap() of BYTES (the address is printed)
 *   wait         read one line from stdin first (for a monitor to get ready)
 * Prints "pid P ppid Q getppid_nr X nanosleep_nr Y close_nr Z setreuid_nr S
 * mmap_nr M mmap_addr A" when done, Q being what getppid returned (-1 when not
 * called), A what mmap returned (0 when not called): no call beyond those asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long ppid = -1;		/* what the getppid calls returned: no extra call */
	unsigned long addr = 0;	/* what mmap returned */
	int i = 1;

	while (i < argc) {
		const char *op = argv[i++];
		long n = 0;

		if (!strcmp(op, "wait")) {
			char line[16];

			if (!fgets(line, sizeof(line), stdin))
				return 1;
			continue;
		}
		if (!strcmp(op, "name") && i < argc) {
			if (prctl(PR_SET_NAME, argv[i++], 0, 0, 0))
				return 1;
			continue;
		}
		if (i == argc) {
			fprintf(stderr, "syscall_helper: %s needs a number\n", op);
			return 2;
		}
		n = strtol(argv[i++], NULL, 10);
		if (!strcmp(op, "getppid")) {
			for (long k = 0; k < n; k++)
				ppid = syscall(SYS_getppid);
		} else if (!strcmp(op, "nanosleep")) {
			struct timespec ts = { n / 1000, n % 1000 * 1000000 };

			syscall(SYS_nanosleep, &ts, NULL);
		} else if (!strcmp(op, "setreuid")) {
			if (syscall(SYS_setreuid, n, n))
				return 1;
		} else if (!strcmp(op, "mmap")) {
			addr = syscall(SYS_mmap, NULL, n, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (addr == (unsigned long)MAP_FAILED)
				return 1;
		} else if (!strcmp(op, "badclose")) {
			for (long k = 0; k < n; k++)
				syscall(SYS_close, -1);
		} else {
			fprintf(stderr, "syscall_helper: unknown op '%s'\n", op);
			return 2;
		}
	}
	printf("pid %d ppid %ld getppid_nr %d nanosleep_nr %d close_nr %d setreuid_nr %d "
	       "mmap_nr %d mmap_addr %#lx\n", (int)getpid(), ppid, SYS_getppid, SYS_nanosleep,
	       SYS_close, SYS_setreuid, SYS_mmap, addr);
	return 0;
}
