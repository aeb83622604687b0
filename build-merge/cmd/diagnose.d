build-merge/cmd/diagnose.o: cmd/diagnose.c cmd/../lib/diagnose.h \
 cmd/../lib/ctx.h cmd/../lib/kmsg.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h \
 cmd/builtin.h cmd/cli.h
cmd/../lib/diagnose.h:
cmd/../lib/ctx.h:
cmd/../lib/kmsg.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
cmd/builtin.h:
cmd/cli.h:
