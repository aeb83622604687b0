build-merge/tests/test_dkms: tests/unit/test_dkms.c tests/unit/unit.h \
 lib/ctx.h lib/dkms.h shared/util.h shared/macro.h shared/process.h \
 shared/strbuf.h shared/strv.h shared/xalloc.h
tests/unit/unit.h:
lib/ctx.h:
lib/dkms.h:
shared/util.h:
shared/macro.h:
shared/process.h:
shared/strbuf.h:
shared/strv.h:
shared/xalloc.h:
