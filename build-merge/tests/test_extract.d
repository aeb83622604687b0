build-merge/tests/test_extract: tests/unit/test_extract.c \
 tests/unit/unit.h lib/extract.h lib/ctx.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h \
 lib/fetch.h lib/headers.h
tests/unit/unit.h:
lib/extract.h:
lib/ctx.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
lib/fetch.h:
lib/headers.h:
