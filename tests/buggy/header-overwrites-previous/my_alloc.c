/*
 * tests/buggy/header-overwrites-previous -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: the size header is stored just before the payload,
 * but no room was reserved for it: it lands in the last bytes of the
 * previous block.
 * The line with the mistake is marked BUG; tests/test_buggy.py asserts the
 * driver's exact verdict for it.
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* A bump allocator: every request takes fresh heap from mem_sbrk, rounded up
 * to 16 bytes; nothing is ever reused.  Correct except where marked BUG. */

static size_t align_up(size_t n) { return (n + 15) & ~(size_t)15; }

int my_init(void)
{
    return mem_sbrk(16) == (void *)-1 ? -1 : 0;   /* room for the first header */
}

void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)align_up(size));
    return p == (void *)-1 ? NULL : p;
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    size_t *p = allocate_slab(size);   /* BUG: should be size + the header, rounded up */
    if (p == NULL)
        return NULL;
    p[-1] = size;                       /* overwrites the previous block's last 8 bytes */
    return p;
}

void my_free(void *ptr)
{
    (void)ptr;
}
