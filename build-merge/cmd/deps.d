build-merge/cmd/deps.o: cmd/deps.c cmd/../lib/moddb.h cmd/../lib/ctx.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h cmd/../lib/probe.h cmd/builtin.h cmd/cli.h
cmd/../lib/moddb.h:
cmd/../lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
cmd/../lib/probe.h:
cmd/builtin.h:
cmd/cli.h:
