build-merge/lib/moddb.o: lib/moddb.c lib/moddb.h lib/ctx.h shared/util.h \
 shared/macro.h shared/process.h shared/strbuf.h shared/strv.h \
 shared/xalloc.h lib/moddb-internal.h
lib/moddb.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/moddb-internal.h:
