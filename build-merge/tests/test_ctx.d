build-merge/tests/test_ctx: tests/unit/test_ctx.c tests/unit/unit.h \
 lib/ctx.h shared/util.h shared/macro.h shared/process.h shared/strbuf.h \
 shared/strv.h shared/xalloc.h
tests/unit/unit.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
