/*
 * test_memlib.c -- the simulated heap: growth, refusals, reset, and the
 * guard past the break.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "memlib.h"

static void setup(void)
{
    cr_assert_eq(mem_init(), 0);
    mem_reset();
}
TestSuite(memlib, .init = setup);

Test(memlib, starts_empty_and_aligned)
{
    cr_assert_eq(mem_heapsize(), 0);
    cr_assert_eq((uintptr_t)mem_heap_lo() % 16, 0);
    cr_assert_eq((char *)mem_heap_hi(), (char *)mem_heap_lo() - 1);
    cr_assert_gt(mem_pagesize(), 0);
}

Test(memlib, sbrk_returns_the_old_break)
{
    char *a = mem_sbrk(100);
    char *b = mem_sbrk(28);
    cr_assert_eq(a, mem_heap_lo());
    cr_assert_eq(b, a + 100);
    cr_assert_eq(mem_heapsize(), 128);
    cr_assert_eq((char *)mem_heap_hi(), a + 127);
    memset(a, 0xab, 128);   /* all of it is writable */
}

Test(memlib, new_memory_is_zero)
{
    unsigned char *p = mem_sbrk(5000);
    for (int i = 0; i < 5000; i++)
        cr_assert_eq(p[i], 0);
}

Test(memlib, refuses_negative_and_too_large)
{
    mem_sbrk(64);
    cr_assert_eq(mem_sbrk(-16), (void *)-1);
    cr_assert_eq(mem_sbrk((intptr_t)MEM_MAX_HEAP), (void *)-1, "64 + MAX is too much");
    cr_assert_eq(mem_sbrk((intptr_t)50 << 30), (void *)-1);
    cr_assert_eq(mem_heapsize(), 64, "a refused request changes nothing");
    cr_assert_neq(mem_sbrk((intptr_t)(MEM_MAX_HEAP - 64)), (void *)-1, "exactly full is allowed");
    cr_assert_eq(mem_heapsize(), MEM_MAX_HEAP);
    cr_assert_eq(mem_sbrk(1), (void *)-1);
}

Test(memlib, zero_increment_reports_the_break)
{
    mem_sbrk(48);
    cr_assert_eq(mem_sbrk(0), (char *)mem_heap_lo() + 48);
    cr_assert_eq(mem_heapsize(), 48);
}

Test(memlib, reset_empties_and_zeroes)
{
    char *p = mem_sbrk(8192);
    memset(p, 0x55, 8192);
    mem_reset();
    cr_assert_eq(mem_heapsize(), 0);
    char *q = mem_sbrk(8192);
    cr_assert_eq(q, p, "the heap starts at the same address");
    for (int i = 0; i < 8192; i++)
        cr_assert_eq(q[i], 0);
}

Test(memlib, warm_reset_zeroes_too)
{
    char *p = mem_sbrk(100);
    memset(p, 0x55, 100);
    mem_reset_warm();
    cr_assert_eq(mem_heapsize(), 0);
    char *q = mem_sbrk(100);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(q[i], 0);
}

Test(memlib, contains)
{
    char *p = mem_sbrk(64);
    cr_assert(mem_contains(p, 64));
    cr_assert(mem_contains(p + 63, 1));
    cr_assert_not(mem_contains(p + 63, 2));
    cr_assert_not(mem_contains(p - 1, 1));
    cr_assert_not(mem_contains(p + 64, 1));
    cr_assert_not(mem_contains(p + 8, SIZE_MAX), "no wrap-around");
}

Test(memlib, slack_past_the_break_is_watched)
{
    char *p = mem_sbrk(100);
    cr_assert_eq(mem_slack_written(), -1);
    p[100 + 24] = 1;          /* same page, so no fault: the slack check sees it */
    cr_assert_eq(mem_slack_written(), 24);
    p[100 + 24] = 0;
    cr_assert_eq(mem_slack_written(), -1);
}

Test(memlib, writing_a_page_past_the_break_faults, .signal = SIGSEGV)
{
    char *p = mem_sbrk(100);
    p[mem_pagesize() + 100] = 1;
}

Test(memlib, reset_revokes_access, .signal = SIGSEGV)
{
    char *p = mem_sbrk(100);
    mem_reset();
    p[0] = 1;
}
