build-merge/lib/gate.o: lib/gate.c lib/gate-internal.h lib/gate.h \
 lib/ctx.h shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h lib/jail.h lib/moddb.h
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
lib/moddb.h:
