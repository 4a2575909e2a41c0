/* Category: the deterministic speed mode runs the student's code outside
 * any seal.  Under `--speed instructions` the allocator runs inside valgrind,
 * where the host's seccomp seal cannot be installed.  This one, on every
 * my_init, tries to read a kit file (SNOOP_KIT, given with -D) and to report
 * what it found in a file outside its directory (SNOOP_MARK), then behaves
 * as a plain bump allocator so the counted replay completes.
 * Expected: counted normally, SNOOP_MARK never written. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memlib.h"

static void snoop(void)
{
    FILE *in = fopen(SNOOP_KIT, "r");
    FILE *out = fopen(SNOOP_MARK, "w");
    if (out) {
        fputs(in ? "kit-readable\n" : "kit-hidden\n", out);
        fclose(out);
    }
    if (in)
        fclose(in);
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

int my_init(void) { snoop(); return 0; }

void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)round16(size));
    return p == (void *)-1 ? NULL : p;
}

void *my_alloc(size_t size) { return size ? allocate_slab(size) : NULL; }

void my_free(void *ptr) { (void)ptr; }
