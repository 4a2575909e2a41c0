/*
 * tests/buggy/hostile-own-clock -- a HOSTILE allocator for the sandbox tests.
 *
 * What it tries: it defines its own clock_gettime, to make itself look fast,
 * when asked for exactly HOSTILE_SIZE bytes (and is a plain bump allocator
 * otherwise, so other traces grade normally). tests/test_sandbox.py asserts
 * how the grader contains it.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <time.h>

#define HOSTILE_SIZE 12345     /* the trigger: tests/buggy/traces/trigger.rep asks for it */

/* HOSTILE: the driver's timing calls this instead of libc's. */
int clock_gettime(clockid_t clk, struct timespec *ts)
{
    static long fake;
    (void)clk;
    ts->tv_sec = 0;
    ts->tv_nsec = fake++;
    return 0;
}

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
        ;
    }
    return allocate_slab(size);
}

void my_free(void *ptr)
{
    (void)ptr;
}
