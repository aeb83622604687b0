build-merge/lib/rootlock.o: lib/rootlock.c lib/rootlock.h lib/ctx.h
lib/rootlock.h:
lib/ctx.h:
