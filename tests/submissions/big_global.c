/*
 * big_global.c -- a bump allocator that keeps a 4 KB table in global memory
 * (metadata outside the heap, invisible to utilization): global-data rule.
 */
#include <stdint.h>

#include "memlib.h"
#include "my_alloc.h"

static volatile size_t sizes_seen[512];   /* 4096 bytes of .bss (volatile: kept by the optimizer) */
static size_t nseen;

static size_t round_up(size_t n) { return (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1); }

int my_init(void) { nseen = 0; return 0; }

void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)round_up(size));
    return p == (void *)-1 ? NULL : p;
}

void *my_alloc(size_t size)
{
    if (!size)
        return NULL;
    sizes_seen[nseen++ % 512] = size;
    return allocate_slab(size);
}

void my_free(void *ptr) { (void)ptr; }
