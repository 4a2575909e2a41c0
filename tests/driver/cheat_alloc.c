/*
 * cheat_alloc.c -- a correct bump allocator with one trick per build, each
 * a way to beat a grader that shares anything with the allocator.
 * tests/test_trust_driver.py builds it with -D<TRICK> and asserts the trick
 * gains nothing:
 *
 *   PRINT_CALLER    print the address my_init returns to (calibration for
 *                   TIMED_CHEAT: the checked host's caller)
 *   TIMED_CHEAT=A   my_init called from anywhere but A is a timed replay:
 *                   there, hand out a fixed fast answer (and skip the work)
 *   SHOW_ENV        print the environment and search the initial stack for
 *                   the grader's variables (SLABLAB_CANARY)
 *   LIBC_MALLOC     get metadata from libc's malloc, as a pointer found in
 *                   memory would
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlib.h"
#include "my_alloc.h"

static char *next;   /* bump pointer into the heap */
static int timed;    /* TIMED_CHEAT: this process is timing us */

int my_init(void)
{
    next = NULL;
#ifdef PRINT_CALLER
    printf("caller=%p\n", __builtin_return_address(0));
#endif
#ifdef TIMED_CHEAT
    timed = (uintptr_t)__builtin_return_address(0) != (uintptr_t)TIMED_CHEAT;
#endif
#ifdef SHOW_ENV
    extern char **environ;
    extern void *__libc_stack_end;
    printf("environ=%s\n", environ && environ[0] ? environ[0] : "(empty)");
    /* argv, envp and auxv strings live above it, up to the top of the stack
     * (0x7ffffffff000 on x86-64: the checker turns ASLR off). */
    const char *p = __libc_stack_end, *top = (const char *)0x7ffffffff000;
    int found = 0;
    for (; p + 15 < top && (size_t)(top - p) < (64u << 10); p++)
        if (memcmp(p, "SLABLAB_CANARY=", 15) == 0)
            found = 1;
    printf("canary on the stack: %s\n", found ? "yes" : "no");
#endif
    return 0;
}

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)round16(size));
    return p == (void *)-1 ? NULL : p;
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
#ifdef LIBC_MALLOC
    void *(*volatile get)(size_t) = malloc;
    if (size == 12345 && get(64) == NULL)
        return NULL;
#endif
    if (timed) {   /* the "fast path": the same block for everyone */
        if (!next)
            next = allocate_slab(1 << 20);
        return next;
    }
    return allocate_slab(size);
}

void my_free(void *ptr)
{
    (void)ptr;
}
