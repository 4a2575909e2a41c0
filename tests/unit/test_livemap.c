/*
 * test_livemap.c -- overlap detection in the ordered set of live payloads,
 * case by case and against a brute-force model on random operations.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "livemap.h"

static struct livemap m;

static void setup(void) { cr_assert_eq(livemap_init(&m, 1024), 0); }
static void teardown(void) { livemap_destroy(&m); }
TestSuite(livemap, .init = setup, .fini = teardown);

Test(livemap, disjoint_and_adjacent_payloads_fit)
{
    cr_assert_eq(livemap_insert(&m, 0, 100, 16), LIVEMAP_NONE);
    cr_assert_eq(livemap_insert(&m, 1, 116, 16), LIVEMAP_NONE, "touching at the end is not overlap");
    cr_assert_eq(livemap_insert(&m, 2, 84, 16), LIVEMAP_NONE, "touching at the start is not overlap");
    cr_assert_eq(m.count, 3);
}

Test(livemap, each_kind_of_overlap_is_caught)
{
    cr_assert_eq(livemap_insert(&m, 0, 100, 50), LIVEMAP_NONE);
    cr_assert_eq(livemap_insert(&m, 1, 100, 50), 0, "same range");
    cr_assert_eq(livemap_insert(&m, 2, 90, 11), 0, "overlaps the first byte");
    cr_assert_eq(livemap_insert(&m, 3, 149, 10), 0, "overlaps the last byte");
    cr_assert_eq(livemap_insert(&m, 4, 110, 5), 0, "contained");
    cr_assert_eq(livemap_insert(&m, 5, 50, 500), 0, "contains it");
    cr_assert_eq(m.count, 1, "nothing was inserted");
}

Test(livemap, overlap_reports_the_right_neighbour)
{
    cr_assert_eq(livemap_insert(&m, 7, 0, 10), LIVEMAP_NONE);
    cr_assert_eq(livemap_insert(&m, 8, 20, 10), LIVEMAP_NONE);
    cr_assert_eq(livemap_insert(&m, 9, 40, 10), LIVEMAP_NONE);
    cr_assert_eq(livemap_insert(&m, 1, 25, 2), 8);
    cr_assert_eq(livemap_insert(&m, 1, 45, 100), 9);
    cr_assert_eq(livemap_insert(&m, 1, 11, 20), 8);
}

Test(livemap, removal_frees_the_range)
{
    cr_assert_eq(livemap_insert(&m, 0, 100, 16), LIVEMAP_NONE);
    livemap_remove(&m, 0);
    cr_assert_eq(m.count, 0);
    cr_assert_eq(livemap_insert(&m, 1, 100, 16), LIVEMAP_NONE);
    cr_assert_eq(livemap_find(&m, 100), 1);
    cr_assert_eq(livemap_find(&m, 101), LIVEMAP_NONE);
}

/* Random inserts and removes against an O(n) model of the same set. */
Test(livemap, agrees_with_brute_force)
{
    enum { N = 1024, ROUNDS = 20000 };
    static uintptr_t start[N], end[N];
    static int live[N];
    srand(12345);
    for (int round = 0; round < ROUNDS; round++) {
        uint32_t id = (uint32_t)(rand() % N);
        if (live[id]) {
            livemap_remove(&m, id);
            live[id] = 0;
            continue;
        }
        uintptr_t s = (uintptr_t)(rand() % 100000);
        size_t size = (size_t)(rand() % 200) + 1;
        int model_overlaps = 0;
        for (int j = 0; j < N; j++)
            if (live[j] && start[j] < s + size && s < end[j])
                model_overlaps = 1;
        uint32_t got = livemap_insert(&m, id, s, size);
        cr_assert_eq(got != LIVEMAP_NONE, model_overlaps, "round %d: [%lu, +%zu)", round,
                     (unsigned long)s, size);
        if (got != LIVEMAP_NONE) {
            cr_assert(live[got] && start[got] < s + size && s < end[got], "the reported id overlaps");
        } else {
            live[id] = 1;
            start[id] = s;
            end[id] = s + size;
        }
    }
}
