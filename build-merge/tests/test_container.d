build-merge/tests/test_container: tests/unit/test_container.c \
 tests/unit/unit.h lib/container.h lib/ctx.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h
tests/unit/unit.h:
lib/container.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
