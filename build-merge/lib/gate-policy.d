build-merge/lib/gate-policy.o: lib/gate-policy.c lib/gate-internal.h \
 lib/gate.h lib/ctx.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h lib/moddb.h
lib/gate-internal.h:
lib/gate.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/moddb.h:
