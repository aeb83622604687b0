build-merge/cmd/dkms.o: cmd/dkms.c cmd/../lib/build.h cmd/../lib/ctx.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h cmd/builtin.h cmd/cli.h
cmd/../lib/build.h:
cmd/../lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
cmd/builtin.h:
cmd/cli.h:
