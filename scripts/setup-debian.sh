#!/bin/sh
# Set up a Debian 12 machine for ebpfmon-bcc, build it, and then:
#   --run   run it with the default config (etc/ebpfmon.yaml) until Ctrl-C
#   --test  run the whole test suite under AddressSanitizer and UBSan, a smoke
#           run of the benchmarks, each fuzzer for 60 s (make fuzz), then
#           make distcheck (the tarball, with its unit tests and a start of
#           every monitor)
# Run as root from the top of the source tree. Installing is idempotent:
# packages already present are not fetched again.
set -eu

mode=${1:---build}
case $mode in
--run | --test | --build) ;;
*)
	echo "usage: $0 [--run | --test | --build]" >&2
	exit 1
	;;
esac
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-debian: run as root (it installs packages and loads BPF programs)" >&2
	exit 1
fi
cd "$(dirname "$0")/.."

arch=$(dpkg --print-architecture)
packages="build-essential autoconf automake libtool pkg-config
	libbpfcc-dev libbpf-dev libyaml-dev libjansson-dev libseccomp-dev libelf-dev zlib1g-dev
	linux-headers-$arch jq util-linux procps mandoc qemu-system-x86 linux-image-amd64 busybox-static cpio
	libsystemd-dev systemd-container logrotate python3 libmicrohttpd-dev prometheus curl iproute2 stress-ng"
# make fuzz: clang and its libFuzzer runtime (libclang_rt.fuzzer); the
# tests that compare counts with bpftrace's and bcc-tools' (syscount-bpfcc).
[ "$mode" = --test ] && packages="$packages clang libclang-rt-14-dev bpftrace bpfcc-tools"

missing=
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "setup-debian: installing$missing"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

jobs=$(nproc)
configure_flags=
[ "$mode" = --test ] && configure_flags=--enable-sanitizers
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	autoreconf -fi
fi
# Configure once, and again when the sanitizer choice changes.
have=no
grep -q -- '-fsanitize' Makefile 2>/dev/null && have=yes
want=no
[ -n "$configure_flags" ] && want=yes
if [ ! -f Makefile ] || [ "$have" != "$want" ]; then
	./configure -q $configure_flags
	make -s clean
fi
make -s -j"$jobs"

case $mode in
--run)
	exec ./src/ebpfmon-bcc -c etc/ebpfmon.yaml
	;;
--test)
	status=0
	make -s -j"$jobs" check || status=$?
	# One closing line for whoever reads the log: "N passed, N failed".
	awk '/^# PASS:/ { p = $3 } /^# (FAIL|XPASS|ERROR):/ { f += $3 }
		END { printf "check: %d passed, %d failed\n", p, f }' test-suite.log
	if [ "$status" -ne 0 ]; then
		# Show CI what failed, not only that something did.
		for log in t/*.log; do
			grep -q '^not ok\|^Bail out\|ERROR:\|runtime error\|Sanitizer' "$log" 2>/dev/null &&
				{ echo "==== $log"; cat "$log"; }
		done
		cat test-suite.log 2>/dev/null | tail -n 50
		exit "$status"
	fi
	# The benchmark scripts still work end to end (tiny counts; it installs
	# bpftrace and bpfcc-tools for bench/peers; the figures mean nothing).
	make -s bench-smoke
	# The fuzzers on their corpus: any crash, leak or 10 s input fails.
	make -s fuzz FUZZ_SECONDS=60
	# The tarball: complete, builds, installs; its unit tests and a start of
	# every monitor (DISTCHECK_TESTS in Makefile.am; the rest ran above).
	make -s -j"$jobs" distcheck TESTS='$(DISTCHECK_TESTS)'
	;;
esac
