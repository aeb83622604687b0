build-merge/cmd/gate.o: cmd/gate.c cmd/../lib/gate.h cmd/../lib/ctx.h \
 shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h cmd/builtin.h cmd/cli.h
cmd/../lib/gate.h:
cmd/../lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
cmd/builtin.h:
cmd/cli.h:
