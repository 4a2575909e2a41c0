/*
 * extra_symbol.c -- a correct bump allocator whose helper is not static:
 * extra-symbol rule (a penalty, not a zero).
 */
#include <stdint.h>

#include "memlib.h"
#include "my_alloc.h"

size_t round_up(size_t n) { return (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1); }

int my_init(void) { return 0; }

void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)round_up(size));
    return p == (void *)-1 ? NULL : p;
}

void *my_alloc(size_t size) { return size ? allocate_slab(size) : NULL; }

void my_free(void *ptr) { (void)ptr; }
