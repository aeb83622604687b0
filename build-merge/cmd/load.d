build-merge/cmd/load.o: cmd/load.c cmd/../lib/loader.h cmd/../lib/ctx.h \
 cmd/../lib/moddb.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h cmd/builtin.h cmd/cli.h
cmd/../lib/loader.h:
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
