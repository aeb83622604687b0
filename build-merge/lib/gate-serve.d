build-merge/lib/gate-serve.o: lib/gate-serve.c lib/gate-internal.h \
 lib/gate.h lib/ctx.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h lib/jail.h lib/loader.h \
 lib/moddb.h lib/modinfo.h
lib/gate-internal.h:
lib/gate.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/jail.h:
lib/loader.h:
lib/moddb.h:
lib/modinfo.h:
