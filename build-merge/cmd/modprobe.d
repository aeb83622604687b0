build-merge/cmd/modprobe.o: cmd/modprobe.c cmd/../lib/probe.h \
 cmd/../lib/ctx.h cmd/../lib/moddb.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h \
 cmd/builtin.h cmd/cli.h
cmd/../lib/probe.h:
cmd/../lib/ctx.h:
cmd/../lib/moddb.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
cmd/builtin.h:
cmd/cli.h:
