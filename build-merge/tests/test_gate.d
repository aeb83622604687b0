build-merge/tests/test_gate: tests/unit/test_gate.c tests/unit/unit.h \
 lib/ctx.h lib/gate.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h lib/jail.h
tests/unit/unit.h:
lib/ctx.h:
lib/gate.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/jail.h:
