build-merge/cmd/autoload.o: cmd/autoload.c cmd/../lib/autoload.h \
 cmd/../lib/ctx.h cmd/../lib/loader.h cmd/../lib/moddb.h shared/util.h \
 shared/macro.h shared/process.h shared/strbuf.h shared/strv.h \
 shared/xalloc.h cmd/../lib/modlist.h cmd/builtin.h cmd/cli.h
cmd/../lib/autoload.h:
cmd/../lib/ctx.h:
cmd/../lib/loader.h:
cmd/../lib/moddb.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
cmd/../lib/modlist.h:
cmd/builtin.h:
cmd/cli.h:
