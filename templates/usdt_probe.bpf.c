/* @INDEX@: probe @PROBE@, location @LOC@ */
@READER@
int usdt__@INDEX@(struct pt_regs *ctx)
{
	__u64 argv[USDT_ARGS] = {};

	EBPFMON_ACTIVE_OR_RETURN(0);
	usdt_args_@INDEX@(ctx, argv);
	return usdt_fire(ctx, @PROBE@, argv, @STR_MASK@, @LABEL_A@, @LABEL_B@, @EMIT@);
}
