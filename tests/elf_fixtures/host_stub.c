/* host_stub.c -- a stand-in for the allocator host (build/libhost.a) in the
 * linked-executable tests: a main that calls the contract once and a
 * memlib over a static array, plus what a host really has (stdio, memcpy),
 * so that the baseline carries libc's own load-time entries and the checks
 * must tell them from the submission's.
 * Invariant: it defines no constructor, so every load-time difference to
 * the baseline comes from the allocator's object. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "memlib.h"
#include "my_alloc.h"

#define STUB_HEAP (1u << 20)

static _Alignas(16) char heap[STUB_HEAP];
static size_t brk_off;

void *mem_sbrk(intptr_t incr)
{
    if (incr < 0 || (size_t)incr > STUB_HEAP - brk_off)
        return (void *)-1;
    char *old = heap + brk_off;
    brk_off += (size_t)incr;
    return old;
}

void *mem_heap_lo(void) { return heap; }
void *mem_heap_hi(void) { return heap + brk_off - 1; }
size_t mem_heapsize(void) { return brk_off; }
size_t mem_pagesize(void) { return 4096; }

void heap_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (my_init() != 0)
        return 1;
    char *p = my_alloc(16);
    if (p) {
        memcpy(p, argc > 5 ? "many" : "few", 4);
        printf("%.3s\n", p);
        my_free(p);
    }
    return 0;
}
