build-merge/tests/test_shared: tests/unit/test_shared.c tests/unit/unit.h \
 shared/compress.h shared/sha256.h shared/util.h shared/macro.h \
 shared/process.h shared/strbuf.h shared/strv.h shared/xalloc.h
tests/unit/unit.h:
shared/compress.h:
shared/sha256.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
