/* @INDEX@: @SYSCALL@ (the items: io_items_set in src/monitors/io.c) */
#if @HAVE@
TRACEPOINT_PROBE(syscalls, sys_enter_@SYSCALL@)
{
#if @VECTORED@
	io_enter_vec(@OP@, (s32)args->fd, (const void *)args->@BUF_ARG@, args->@LEN_ARG@);
#else
	io_enter_rw(@OP@, (s32)args->fd, args->@LEN_ARG@);
#endif
	return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_@SYSCALL@)
{
	io_exit(args, args->ret);
	return 0;
}
#endif
