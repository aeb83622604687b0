build-merge/lib/autoload.o: lib/autoload.c lib/autoload.h lib/ctx.h \
 lib/loader.h lib/moddb.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h lib/modlist.h
lib/autoload.h:
lib/ctx.h:
lib/loader.h:
lib/moddb.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/modlist.h:
