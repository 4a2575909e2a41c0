/*
 * tests/buggy/hostile-scribble-driver -- a HOSTILE allocator for the sandbox tests.
 *
 * What it tries: it zeroes every writable global of the program: the
 * driver's own variables included, when asked for exactly HOSTILE_SIZE bytes
 * (and is a plain bump allocator otherwise, so other traces grade normally).
 * tests/test_sandbox.py asserts how the grader contains it.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#define HOSTILE_SIZE 12345     /* the trigger: tests/buggy/traces/trigger.rep asks for it */

#include "my_alloc.h"
#include "memlib.h"

/* A bump allocator: every request takes fresh heap from mem_sbrk, rounded up
 * to 16 bytes; nothing is ever reused.  Correct except where marked BUG. */

static size_t align_up(size_t n) { return (n + 15) & ~(size_t)15; }

int my_init(void)
{
    return 0;
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
    if (size == HOSTILE_SIZE) {   /* HOSTILE */
        extern char __data_start[], _end[];
        memset(__data_start, 0, (size_t)(_end - __data_start));
    }
    return allocate_slab(size);
}

void my_free(void *ptr)
{
    (void)ptr;
}
