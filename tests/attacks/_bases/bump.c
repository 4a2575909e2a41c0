/*
 * tests/attacks/_bases/bump.c -- the honest twin of the attacks that are bump
 * allocators with a trick (tests/test_attacks.py): every request takes fresh
 * heap from mem_sbrk with a 16-byte size header, nothing is ever reused.
 * Correct, and as bad at utilization as an allocator can be; an attack built
 * on it must never score more than this file.
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

static void *bump_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    void *p = mem_sbrk((intptr_t)((size + 15) & ~(size_t)15));
    return p == (void *)-1 ? NULL : p;
}

int my_init(void)
{
    return 0;
}

void *allocate_slab(size_t size)
{
    return bump_alloc(size);
}

void *my_alloc(size_t size)
{
    char *p = bump_alloc(size + 16);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);   /* the same 16-byte header as the attack */
    return p + 16;
}

void my_free(void *ptr)
{
    (void)ptr;
}
