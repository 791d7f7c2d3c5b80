/* ---- program @NAME@ ---- */
#define PROGRAM_INDEX @INDEX@
#define PROGRAM_SUBMIT(ctx, data, size) program_output(ctx, @INDEX@, data, size)
#line 1 "program:@NAME@"
@RENDER(SOURCE)@
@USDT@
#undef PROGRAM_SUBMIT
#undef PROGRAM_INDEX
