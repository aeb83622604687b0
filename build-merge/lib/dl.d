build-merge/lib/dl.o: lib/dl.c lib/dl.h lib/ctx.h
lib/dl.h:
lib/ctx.h:
