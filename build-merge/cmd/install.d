build-merge/cmd/install.o: cmd/install.c cmd/builtin.h cmd/cli.h \
 cmd/../lib/ctx.h cmd/../lib/headers.h cmd/../lib/fetch.h shared/util.h \
 shared/macro.h shared/process.h shared/strbuf.h shared/strv.h \
 shared/xalloc.h
cmd/builtin.h:
cmd/cli.h:
cmd/../lib/ctx.h:
cmd/../lib/headers.h:
cmd/../lib/fetch.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
