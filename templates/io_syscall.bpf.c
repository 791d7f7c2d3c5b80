/* @INDEX@: @SYSCALL@ (the items: io_items_set in src/monitors/io.c) */
#if @HAVE@
TRACEPOINT_PROBE(syscalls, sys_enter_@TRACEPOINT@)
{
#if @COPY@
	io_enter_copy(@OP@, (s32)args->@FD_ARG@, (s32)args->@FD_OUT_ARG@, args->@LEN_ARG@);
#elif @VECTORED@
	io_enter_vec(@OP@, (s32)args->@FD_ARG@, (const void *)args->@BUF_ARG@, args->@LEN_ARG@);
#else
	io_enter_rw(@OP@, (s32)args->@FD_ARG@, args->@LEN_ARG@);
#endif
	return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_@TRACEPOINT@)
{
	io_exit(args, args->ret, @COPY@);
	return 0;
}
#endif
