/*
 * @INDEX@: @SYSCALL@'s entry (the items: io_items_set in src/monitors/io.c);
 * its exit runs io.bpf.c's one exit program.
 */
#if @HAVE@
TRACEPOINT_PROBE(syscalls, sys_enter_@TRACEPOINT@)
{
	EBPFMON_ACTIVE_OR_RETURN(0);
#if @COPY@
	io_enter_copy(@OP@, (s32)args->@FD_ARG@, (s32)args->@FD_OUT_ARG@, args->@LEN_ARG@);
#elif @VECTORED@
	io_enter_vec(@OP@, (s32)args->@FD_ARG@, (const void *)args->@BUF_ARG@, args->@LEN_ARG@);
#else
	io_enter_rw(@OP@, (s32)args->@FD_ARG@, args->@LEN_ARG@);
#endif
	return 0;
}
#endif
