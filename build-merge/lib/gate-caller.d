build-merge/lib/gate-caller.o: lib/gate-caller.c lib/gate-internal.h \
 lib/gate.h lib/ctx.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h lib/dl.h lib/jail.h \
 lib/modinfo.h
lib/gate-internal.h:
lib/gate.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/dl.h:
lib/jail.h:
lib/modinfo.h:
