/* spin.c -- an allocator whose every request hangs: my_alloc and my_free
 * loop forever (my_init succeeds).  Fixture of tests/test_deploy_budget.py:
 * with it, every trace times out, and the grading must still end within the
 * platform's time budget with a valid result naming what it skipped. */
#include <stddef.h>

#include "my_alloc.h"

static volatile int forever = 1;

int my_init(void)
{
    return 0;
}

void *my_alloc(size_t size)
{
    while (forever && size)
        ;
    return NULL;
}

void my_free(void *ptr)
{
    while (forever && ptr)
        ;
}

void *allocate_slab(size_t size)
{
    (void)size;
    return NULL;
}
