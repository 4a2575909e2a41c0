/*
 * test_solution.c -- white-box tests of the reference allocator.
 *
 * This file #includes solution/my_alloc.c, so it can call the allocator's
 * static helpers (size_class, block_size, the page map ...) and break its
 * invariants on purpose.  It therefore links no allocator object of its own:
 * the Makefile's "solution tests" rule builds it from this file alone (plus
 * the driver's memlib and heap_report).
 *
 * What is covered: the size-class table (exhaustively), splitting, the four
 * coalescing cases, slab carving and release, realloc in place, running out
 * of heap, the heap walk, determinism across my_init, and the checker naming
 * each invariant (I1..I8) when it is broken by hand.
 */
#include <criterion/criterion.h>

#include "../../solution/my_alloc.c"
#include "replay.h"

static void fresh_heap(void)
{
    cr_assert_eq(mem_init(), 0);
    mem_reset();
    cr_assert_eq(my_init(), 0);
    heap_report_clear();
}

TestSuite(solution, .init = fresh_heap);

/* ---- helpers ----------------------------------------------------------------- */

static void assert_heap_ok(void)
{
    heap_report_clear();
    int rc = my_check_heap();
    cr_assert_eq(rc, 0, "checker: %s", heap_report_message());
}

/* The checker must fail and name invariant `inv` ("I4" ...) first. */
static void assert_broken(const char *inv)
{
    heap_report_clear();
    cr_assert_neq(my_check_heap(), 0, "the checker missed a broken %s", inv);
    const char *msg = heap_report_message();
    cr_assert(strncmp(msg, inv, strlen(inv)) == 0 && msg[strlen(inv)] == ':',
              "expected a %s report, got: %s", inv, msg);
}

struct walk_tally {
    size_t blocks, free_blocks, free_bytes, slots, used_slots;
    const char *last_end;     /* end of the previous block (address order) */
    int out_of_order;
};

static void tally(void *ctx, const struct heap_block *b)
{
    struct walk_tally *t = ctx;
    if (t->last_end && (const char *)b->start < t->last_end)
        t->out_of_order = 1;
    t->last_end = (const char *)b->start + b->size;
    if (b->slab_class) {
        t->slots++;
        t->used_slots += b->payload != NULL;
        return;
    }
    t->blocks++;
    if (!b->payload) {
        t->free_blocks++;
        t->free_bytes += b->size;
    }
}

static struct walk_tally walk(void)
{
    struct walk_tally t = { 0 };
    my_heap_walk(tally, &t);
    cr_assert_not(t.out_of_order, "my_heap_walk went backwards");
    return t;
}

/* Payload patterns, to check that realloc keeps the bytes. */
static void fill(char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(seed + i * 7);
}
static void assert_filled(const char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(p[i], (char)(seed + i * 7), "byte %zu changed", i);
}

/* A request that takes the block allocator and makes a block of `bytes`. */
static size_t request_for_block(size_t bytes) { return bytes - WORD; }
/* A request served by a block (too big for a slab) placed right after the
 * block before it: keeps that block off the heap's free tail. */
#define GUARD_REQUEST request_for_block(SLAB_MAX_SLOT + 2 * ALIGNMENT)

/* ---- size classes -------------------------------------------------------------- */

Test(solution, size_class_worked_examples)
{
    cr_assert_eq(size_class(32), 2);
    cr_assert_eq(size_class(496), 31);
    cr_assert_eq(size_class(512), 32);
    cr_assert_eq(size_class(640), 33);
    cr_assert_eq(size_class(768), 34);
    cr_assert_eq(size_class(896), 35);
    cr_assert_eq(size_class(1024), 36);
    cr_assert_eq(size_class(1280), 37);
    cr_assert_eq(size_class(65536), 60);
    cr_assert_eq(size_class(114688), 63);
    cr_assert_eq(size_class((size_t)1 << 30), 63);
}

Test(solution, size_class_is_monotone_and_exact_below_linear_limit)
{
    unsigned prev = size_class(MIN_BLOCK);
    for (size_t size = MIN_BLOCK; size <= ((size_t)4 << 20); size += 16) {
        unsigned c = size_class(size);
        cr_assert_lt(c, NUM_CLASSES);
        cr_assert_geq(c, prev, "size_class(%zu) = %u < size_class(%zu) = %u", size, c, size - 16, prev);
        cr_assert_leq(c, prev + 1, "size_class skips a class at %zu", size);
        /* find_fit takes the first member of an exact class unseen. */
        if (size < LINEAR_LIMIT)
            cr_assert_eq(c, size / 16, "below LINEAR_LIMIT the class is size / 16 (%zu)", size);
        else
            cr_assert_geq(c, LINEAR_LIMIT / 16, "from LINEAR_LIMIT on the classes are approximate (%zu)", size);
        prev = c;
    }
    cr_assert_eq(prev, NUM_CLASSES - 1, "the largest sizes reach the last class");
}

Test(solution, slab_classes_round_up_to_16)
{
    for (size_t size = 1; size <= SLAB_MAX_SLOT; size++) {
        size_t slot = slot_size_of_class(slab_class(size));
        cr_assert(slot >= size && slot < size + 16 && slot % 16 == 0, "size %zu -> slot %zu", size, slot);
        cr_assert_lt(slab_class(size), SLAB_CLASSES);
    }
    cr_assert_eq(block_size_for(1), MIN_BLOCK);
    cr_assert_eq(block_size_for(24), 32);
    cr_assert_eq(block_size_for(25), 48);
    cr_assert_eq(block_size_for(100), 112);
}

/* ---- splitting and coalescing ------------------------------------------------------- */

/* Blocks a | b | c | d of 112 bytes each, then a guard, on a fresh heap. */
static char *four[4];
static void four_blocks(void)
{
    for (int i = 0; i < 4; i++) {
        four[i] = my_alloc(request_for_block(112));
        cr_assert_not_null(four[i]);
        if (i)
            cr_assert_eq(four[i], four[i - 1] + 112, "blocks are laid out one after another");
    }
    cr_assert_not_null(my_alloc(request_for_block(112)), "a guard keeps d off the free tail");
    assert_heap_ok();
}

Test(solution, split_leaves_a_free_remainder)
{
    void *big = my_alloc(request_for_block(1024));
    cr_assert_not_null(my_alloc(GUARD_REQUEST), "guard");
    my_free(big);
    size_t heap = mem_heapsize();
    char *small = my_alloc(request_for_block(256));
    cr_assert_eq(small, big, "the free block is reused");
    cr_assert_eq(mem_heapsize(), heap, "reuse does not grow the heap");
    char *rest = block_of(small) + 256;
    cr_assert_not(is_alloc(rest));
    cr_assert_eq(block_size(rest), 1024 - 256, "the remainder is one free block");
    cr_assert_eq(size_class(block_size(rest)), size_class(768));
    assert_heap_ok();
}

Test(solution, no_split_below_the_minimum_block)
{
    void *a = my_alloc(request_for_block(128));
    cr_assert_not_null(my_alloc(GUARD_REQUEST), "guard");
    my_free(a);
    void *b = my_alloc(request_for_block(112));    /* 16 bytes would be left */
    cr_assert_eq(b, a);
    cr_assert_eq(block_size(block_of(b)), 128, "a 16-byte rest cannot be a block: it stays inside");
    assert_heap_ok();
}

Test(solution, coalesce_with_neither_neighbour)
{
    four_blocks();
    my_free(four[1]);
    assert_heap_ok();
    cr_assert_eq(block_size(block_of(four[1])), 112);
    cr_assert_eq(walk().free_blocks, 1);
}

Test(solution, coalesce_with_the_next_block)
{
    four_blocks();
    my_free(four[2]);
    my_free(four[1]);
    assert_heap_ok();
    cr_assert_not(is_alloc(block_of(four[1])));
    cr_assert_eq(block_size(block_of(four[1])), 224);
    cr_assert_eq(walk().free_blocks, 1);
}

Test(solution, coalesce_with_the_previous_block)
{
    four_blocks();
    my_free(four[1]);
    my_free(four[2]);
    assert_heap_ok();
    cr_assert_eq(block_size(block_of(four[1])), 224);
    cr_assert_eq(walk().free_blocks, 1);
}

Test(solution, coalesce_with_both_neighbours)
{
    four_blocks();
    my_free(four[0]);
    my_free(four[2]);
    cr_assert_eq(walk().free_blocks, 2);
    my_free(four[1]);
    assert_heap_ok();
    cr_assert_eq(block_size(block_of(four[0])), 336);
    cr_assert_eq(walk().free_blocks, 1);
}

Test(solution, the_open_ended_last_class_is_searched_to_its_end)
{
    /* Class NUM_CLASSES - 1 holds every free block from 112 KiB up.  Put a
     * 1 MiB block at the back of its list and five 120 KiB ones in front:
     * a 200 KiB request must find the big one, not grow the heap. */
    char *big = my_alloc(1 << 20);
    cr_assert_not_null(my_alloc(GUARD_REQUEST), "guard");
    char *small[5];
    for (int i = 0; i < 5; i++) {
        small[i] = my_alloc(120 << 10);
        cr_assert_not_null(my_alloc(GUARD_REQUEST), "guard");
    }
    my_free(big);
    for (int i = 0; i < 5; i++)
        my_free(small[i]);
    cr_assert_eq(size_class(block_size(block_of(small[0]))), NUM_CLASSES - 1);
    cr_assert_eq(size_class(block_size(block_of(big))), NUM_CLASSES - 1);
    size_t heap = mem_heapsize();
    cr_assert_eq(my_alloc(200 << 10), big, "the 1 MiB block, sixth in its list, is found");
    cr_assert_eq(mem_heapsize(), heap, "no heap growth while a free block fits");
    assert_heap_ok();
}

Test(solution, the_free_tail_is_extended_not_abandoned)
{
    void *a = my_alloc(request_for_block(512));
    my_free(a);                                   /* the whole tail is free now */
    size_t heap = mem_heapsize();
    void *b = my_alloc(request_for_block(800));
    cr_assert_eq(b, a, "the bigger block starts where the free tail did");
    cr_assert_eq(mem_heapsize(), heap + 800 - 512, "the heap grows by exactly the missing bytes");
    assert_heap_ok();
}

/* ---- slabs ------------------------------------------------------------------------------ */

/* A class takes slabs only in a heap SLAB_HEAP_SHARE times its first slab:
 * the slab tests first grow the heap past that for every class (a free
 * block, which slabs are then carved from). */
static void heap_ready_for_slabs(void)
{
    char *b = my_alloc(SLAB_HEAP_SHARE * SLAB_MAX_PAGES * SLAB_PAGE);
    cr_assert_not_null(b);
    my_free(b);
    for (unsigned k = 0; k < SLAB_CLASSES; k++)
        cr_assert(heap_holds_slabs_of(k));
}

Test(solution, small_requests_are_carved_from_a_slab)
{
    heap_ready_for_slabs();
    char *p = my_alloc(16), *q = my_alloc(10);
    cr_assert(in_slab(p) && in_slab(q));
    struct slab *s = slab_of(p);
    cr_assert_eq(slab_of(q), s);
    cr_assert_eq((size_t)((char *)s - A.lo) % SLAB_PAGE, 0, "a slab sits on a SLAB_PAGE boundary");
    cr_assert_eq(p, (char *)s + SLAB_FIRST_SLOT, "the first slot follows the slab header");
    cr_assert_eq(q, p + 16, "slots have no header: the next one is 16 bytes on");
    cr_assert_eq(s->nslots, slot_bytes_in(slab_bytes_for(0, 0)) / 16);
    cr_assert_eq(s->used, 2);
    cr_assert(is_slab_block(slab_block(s)) && block_size(slab_block(s)) == slab_bytes_for(0, 0),
              "a class's first slab is its smallest");
    cr_assert_eq(A.ctl->slabs[0], 1);
    cr_assert_not(in_slab(my_alloc(SLAB_MAX_SLOT + 1)), "larger requests are blocks");
    assert_heap_ok();
}

Test(solution, a_full_slab_gets_a_sibling_and_empty_slabs_go_back_but_the_last)
{
    heap_ready_for_slabs();
    unsigned k = slab_class(32);
    size_t n = slot_bytes_in(slab_bytes_for(k, 0)) / 32, n2 = slot_bytes_in(slab_bytes_for(k, 1)) / 32;
    cr_assert_gt(n2, n, "a class's second slab is larger than its first");
    char **p = malloc((n + 1) * sizeof *p);
    for (size_t i = 0; i <= n; i++) {
        p[i] = my_alloc(32);
        cr_assert_not_null(p[i]);
    }
    cr_assert_eq(slab_of(p[0]), slab_of(p[n - 1]));
    cr_assert_neq(slab_of(p[n]), slab_of(p[0]), "slot n+1 needs a second slab");
    struct walk_tally t = walk();
    cr_assert_eq(t.slots, n + n2);
    cr_assert_eq(t.used_slots, n + 1);
    cr_assert_eq(A.ctl->slabs[k], 2);
    assert_heap_ok();
    for (size_t i = 0; i <= n; i++) {
        my_free(p[i]);
        assert_heap_ok();
    }
    t = walk();
    cr_assert_eq(t.slots, n2, "the first slab to empty is given back, the last one kept");
    cr_assert_eq(t.used_slots, 0);
    cr_assert_eq(A.ctl->slabs[k], 1);
    free(p);
}

Test(solution, alloc_free_one_at_a_time_reuses_the_kept_slab)
{
    heap_ready_for_slabs();
    char *p = my_alloc(32);
    cr_assert_not_null(p);
    my_free(p);
    size_t heap = mem_heapsize();
    for (int i = 0; i < 100; i++) {
        char *q = my_alloc(32);
        cr_assert_eq(q, p, "the lone empty slab stays, so its first slot comes back");
        my_free(q);
    }
    cr_assert_eq(mem_heapsize(), heap);
    assert_heap_ok();
}

Test(solution, slab_slots_are_reused_lifo)
{
    heap_ready_for_slabs();
    char *a = my_alloc(40), *b = my_alloc(40);
    (void)b;
    my_free(a);
    cr_assert_eq(my_alloc(33), a, "the freed slot is the next one handed out");
    assert_heap_ok();
}

/* A mid-sized request: its class (slots of 208 bytes) warms up before it gets slabs. */
#define MID_REQUEST 200

Test(solution, slab_sizes_are_whole_pages_with_little_slack_and_grow_with_their_class)
{
    for (unsigned k = 0; k < SLAB_CLASSES; k++) {
        size_t slot = slot_size_of_class(k), fewest = SLAB_MIN_PAGES_FOR(slot) * SLAB_PAGE, before = 0;
        for (unsigned n = 0; n < 2 * SLAB_GROWTH_MAX; n++) {
            size_t bytes = slab_bytes_for(k, n);
            size_t target = fewest << (n < SLAB_GROWTH_MAX ? n : SLAB_GROWTH_MAX);
            if (target > SLAB_MAX_PAGES * SLAB_PAGE)
                target = SLAB_MAX_PAGES * SLAB_PAGE;
            cr_assert_eq(bytes % SLAB_PAGE, 0, "class %u slab %u: whole pages", k, n);
            cr_assert(bytes >= target && bytes <= target + fewest,
                      "class %u slab %u: %zu bytes, not in [%zu, %zu]", k, n, bytes, target, target + fewest);
            cr_assert_geq(bytes, before, "class %u: slab %u is smaller than slab %u", k, n, n - 1);
            cr_assert_geq(slot_bytes_in(bytes) / slot, SLAB_MIN_SLOTS, "class %u: too few slots", k);
            cr_assert_leq(bytes, (size_t)UINT16_MAX + 1, "class %u: slot offsets must fit the 16-bit links", k);
            cr_assert_leq(bytes / SLAB_PAGE, SLAB_MAX_PAGES, "class %u: more pages than the map's entries can say", k);
            cr_assert_leq(slot_bytes_in(bytes) / slot, SLAB_MAX_SLOTS, "class %u: more slots than my_heap_walk expects", k);
            /* The chosen size leaves no larger share idle than the target would. */
            cr_assert_leq((double)(slot_bytes_in(bytes) % slot) / (double)bytes,
                          (double)(slot_bytes_in(target) % slot) / (double)target, "class %u slab %u", k, n);
            before = bytes;
        }
    }
    /* Worked example, default constants (512-byte pages, at least 3 slots in
     * a first slab): the first slab of 208-byte slots is the fewest pages,
     * two; the second, four pages or more, leaves 152 of 2048 bytes idle in
     * four pages, 40 of 2560 in five, 136 of 3072 in six. */
    cr_assert_eq(slab_bytes_for(slab_class(208), 0), 2 * SLAB_PAGE);
    cr_assert_eq(slab_bytes_for(slab_class(208), 1), 5 * SLAB_PAGE);
    for (unsigned k = 0; k < SLAB_CLASSES; k++)
        cr_assert_eq(slab_bytes_for(k, 0), SLAB_MIN_PAGES_FOR(slot_size_of_class(k)) * SLAB_PAGE,
                     "class %u: a first slab is the fewest pages", k);
    /* Large classes' slabs stop growing at SLAB_MAX_PAGES. */
    cr_assert_eq(slab_bytes_for(0, 100), SLAB_MAX_PAGES * SLAB_PAGE);
}

Test(solution, successive_slabs_of_a_class_double_up_to_the_largest)
{
    heap_ready_for_slabs();
    unsigned k = slab_class(48);
    size_t prev = 0;
    for (unsigned n = 0; n < 12; n++) {
        /* Fill the class's slabs: the next request needs slab n. */
        struct slab *s = NULL;
        do {
            char *p = my_alloc(48);
            cr_assert_not_null(p);
            s = slab_of(p);
        } while (s->used < s->nslots);
        cr_assert_eq(block_size(slab_block(s)), slab_bytes_for(k, n), "slab %u of the class", n);
        cr_assert_geq(block_size(slab_block(s)), prev);
        prev = block_size(slab_block(s));
        cr_assert_eq(A.ctl->slabs[k], n + 1);
    }
    cr_assert_eq(prev, SLAB_MAX_PAGES * SLAB_PAGE, "after a dozen slabs, the class's slabs are the largest");
    assert_heap_ok();
}

Test(solution, a_small_heap_serves_small_requests_with_blocks_until_a_slab_is_a_small_share)
{
    char *p = my_alloc(16);
    cr_assert(p && !in_slab(p), "a 16-byte request in a %zu-byte heap is a block", mem_heapsize());
    cr_assert_not(class_is_warm(0));
    cr_assert_null(A.slab_map, "no slab yet, so no page map either");
    char *big = my_alloc(SLAB_HEAP_SHARE * slab_bytes_for(0, 0));
    char *q = my_alloc(16);
    cr_assert(q && in_slab(q), "in a heap of %zu bytes the class takes its first slab", mem_heapsize());
    cr_assert(class_is_warm(0));
    cr_assert_leq(A.slab_map_pages, MAP_MIN_PAGES, "the page map starts small");
    my_free(big);
    my_free(p);
    assert_heap_ok();
}

Test(solution, first_slabs_are_small)
{
    heap_ready_for_slabs();
    /* One request of each class up to SLAB_EAGER_SLOT: each class gets its
     * first, smallest slab: one page each (with the fixed 2 KiB slabs of
     * before, 2 KiB each). */
    size_t total = 0;
    for (size_t size = 16; size <= SLAB_EAGER_SLOT; size += 16) {
        char *p = my_alloc(size);
        cr_assert(p && in_slab(p));
        size_t bytes = block_size(slab_block(slab_of(p)));
        cr_assert_eq(bytes, slab_bytes_for(slab_class(size), 0));
        total += bytes;
    }
    cr_assert_eq(total, SLAB_EAGER_SLOT / 16 * SLAB_PAGE, "the first slabs take %zu bytes", total);
    assert_heap_ok();
}

Test(solution, a_mid_sized_class_takes_blocks_until_it_warms_up_then_a_multi_page_slab)
{
    unsigned k = slab_class(MID_REQUEST);
    cr_assert_gt(slot_size_of_class(k), SLAB_EAGER_SLOT);
    for (uint32_t i = 0; i < SLAB_WARMUP; i++) {
        char *p = my_alloc(MID_REQUEST);
        cr_assert(p && !in_slab(p), "request %u of a cold class is a block", i);
    }
    char *first = my_alloc(MID_REQUEST);
    cr_assert(first && in_slab(first), "the warmed-up class gets a slab");
    struct slab *s = slab_of(first);
    size_t pages = slab_bytes_for(k, 0) / SLAB_PAGE;
    cr_assert_gt(pages, 1, "mid-sized slots: a slab of several pages");
    cr_assert_eq(block_size(slab_block(s)), pages * SLAB_PAGE);
    for (size_t i = 0; i < pages; i++)
        cr_assert_eq(map_entry(page_index(s) + i), i + 1, "page %zu of the slab is marked %zu", i, i + 1);
    char *last = NULL;
    for (unsigned i = 1; i < s->nslots; i++)
        last = my_alloc(MID_REQUEST);
    cr_assert_eq(page_index(last), page_index(s) + pages - 1, "the last slot is on the slab's last page");
    cr_assert_eq(slab_of(last), s, "the page map leads from any page back to the slab's start");
    assert_heap_ok();
    my_free(last);
    my_free(first);
    cr_assert_eq(s->used, s->nslots - 2);
    assert_heap_ok();
}

Test(solution, a_mid_sized_class_fills_a_free_hole_rather_than_grow_the_heap_for_a_slab)
{
    char *p[SLAB_WARMUP];
    for (uint32_t i = 0; i < SLAB_WARMUP; i++)
        p[i] = my_alloc(MID_REQUEST);
    my_free(p[5]);                    /* a 208-byte hole between allocated blocks */
    size_t heap = mem_heapsize();
    char *q = my_alloc(MID_REQUEST);
    cr_assert_eq(q, p[5], "the warm class takes the hole as a block");
    cr_assert_eq(mem_heapsize(), heap, "no heap growth for a slab while a block fits");
    char *r = my_alloc(MID_REQUEST);
    cr_assert(r && in_slab(r), "with no hole left, the class grows the heap for its slab");
    assert_heap_ok();
}

Test(solution, realloc_moves_a_block_into_a_warm_class_only)
{
    char *b = my_alloc(1000);
    fill(b, 1000, 9);
    char *q = my_realloc(b, MID_REQUEST);
    cr_assert_eq(q, b, "a cold class: the block shrinks in place");
    for (uint32_t i = 0; i < SLAB_WARMUP; i++)
        my_alloc(MID_REQUEST);
    char *c = my_alloc(1000);
    fill(c, MID_REQUEST, 4);
    char *r = my_realloc(c, MID_REQUEST);
    cr_assert(r != c && in_slab(r), "a warm class: the payload moves into a slot");
    assert_filled(r, MID_REQUEST, 4);
    assert_filled(q, MID_REQUEST, 9);
    assert_heap_ok();
}

/* ---- realloc ---------------------------------------------------------------------------- */


Test(solution, realloc_grows_into_a_free_next_block)
{
    four_blocks();
    fill(four[1], 100, 3);
    my_free(four[2]);
    char *q = my_realloc(four[1], 200);
    cr_assert_eq(q, four[1], "grows in place");
    assert_filled(q, 100, 3);
    assert_heap_ok();
}

Test(solution, realloc_grows_at_the_heap_tail)
{
    char *p = my_alloc(1000);
    fill(p, 1000, 5);
    size_t heap = mem_heapsize();
    char *q = my_realloc(p, 3000);
    cr_assert_eq(q, p);
    cr_assert_eq(mem_heapsize(), heap + block_size_for(3000) - block_size_for(1000));
    assert_filled(q, 1000, 5);
    assert_heap_ok();
}

Test(solution, realloc_slides_down_into_a_free_previous_block)
{
    four_blocks();
    fill(four[2], 100, 9);
    my_free(four[1]);
    char *q = my_realloc(four[2], 200);
    cr_assert_eq(q, four[1], "moves down into the free block below");
    assert_filled(q, 100, 9);
    assert_heap_ok();
}

Test(solution, realloc_shrinks_in_place)
{
    four_blocks();
    char *p = my_alloc(request_for_block(1024));
    cr_assert_not_null(my_alloc(GUARD_REQUEST), "guard");
    fill(p, 200, 1);
    cr_assert_eq(my_realloc(p, 200), p);
    assert_filled(p, 200, 1);
    cr_assert_eq(block_size(block_of(p)), block_size_for(200));
    assert_heap_ok();
}

Test(solution, realloc_within_a_slot_stays_put)
{
    heap_ready_for_slabs();
    char *p = my_alloc(20);
    fill(p, 20, 2);
    cr_assert_eq(my_realloc(p, 32), p, "20 and 32 bytes share the 32-byte slot");
    char *q = my_realloc(p, 400);
    cr_assert_neq(q, p);
    assert_filled(q, 20, 2);
    assert_heap_ok();
}

/* ---- running out of heap ---------------------------------------------------------------- */

Test(solution, exhausting_the_heap_returns_null_and_keeps_it_consistent)
{
    size_t sizes[] = { (size_t)1 << 28, (size_t)1 << 20, 4000, 300, 16 };
    size_t count = 0;
    void *last = NULL;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        void *p;
        while ((p = my_alloc(sizes[i])) != NULL) {
            last = p;
            count++;
        }
        assert_heap_ok();
    }
    cr_assert_gt(count, 7);
    cr_assert_leq(mem_heapsize(), MEM_MAX_HEAP);
    cr_assert_null(my_realloc(last, (size_t)1 << 29), "realloc fails when nothing fits");
    assert_heap_ok();
    my_free(last);
    assert_heap_ok();
}

/* ---- determinism and the heap walk ------------------------------------------------------------ */

static uint64_t rng = 42;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A random mix of every path; returns a fingerprint of the addresses. */
static uint64_t random_workload(int check_every_op)
{
    enum { SLOTS = 300, OPS = 4000 };
    char *live[SLOTS] = { 0 };
    size_t size[SLOTS] = { 0 };
    uint64_t fingerprint = 0;
    rng = 42;
    for (int i = 0; i < OPS; i++) {
        unsigned k = (unsigned)(next_random() % SLOTS);
        size_t n = next_random() % 4 ? 1 + next_random() % 64 : 1 + next_random() % 5000;
        if (!live[k]) {
            live[k] = my_alloc(n);
            cr_assert_not_null(live[k]);
            size[k] = n;
            fill(live[k], n, (int)k);
        } else if (next_random() % 3 == 0) {
            assert_filled(live[k], size[k] < n ? size[k] : n, (int)k);
            live[k] = my_realloc(live[k], n);
            cr_assert_not_null(live[k]);
            size[k] = n;
            fill(live[k], n, (int)k);
        } else {
            assert_filled(live[k], size[k], (int)k);
            my_free(live[k]);
            live[k] = NULL;
            size[k] = 0;
        }
        fingerprint = fingerprint * 31 + (uint64_t)(live[k] ? live[k] - A.lo : 0);
        if (check_every_op)
            assert_heap_ok();
    }
    return fingerprint ^ mem_heapsize();
}

Test(solution, random_workload_keeps_every_invariant)
{
    random_workload(1);
    struct walk_tally t = walk();
    cr_assert_gt(t.blocks + t.slots, 0);
}

Test(solution, my_init_resets_everything)
{
    uint64_t first = random_workload(0);
    mem_reset();
    cr_assert_eq(my_init(), 0);
    cr_assert_eq(random_workload(0), first, "the second replay must behave exactly like the first");
}

Test(solution, heap_walk_reports_live_payloads)
{
    heap_ready_for_slabs();
    char *a = my_alloc(16), *b = my_alloc(1000);
    my_free(my_alloc(2000));
    struct walk_tally t = walk();
    cr_assert_eq(t.used_slots, 1);
    cr_assert_eq(t.slots, slot_bytes_in(slab_bytes_for(0, 0)) / 16);
    cr_assert_geq(t.blocks, 2, "the 1000-byte block and the page map at least");
    cr_assert(a && b);
}

/* ---- the checker names each broken invariant ---------------------------------------------------- */

Test(solution, checker_passes_a_fresh_heap)
{
    assert_heap_ok();
}

Test(solution, checker_catches_I1_a_bad_block_size)
{
    four_blocks();
    set_header(block_of(four[1]), 120, ALLOC | PREV_ALLOC);
    assert_broken("I1");
}

Test(solution, checker_catches_I1_a_block_running_past_the_epilogue)
{
    four_blocks();
    set_header(block_of(four[3]), 1 << 20, ALLOC | PREV_ALLOC);
    assert_broken("I1");
}

Test(solution, checker_catches_I2_header_footer_mismatch)
{
    four_blocks();
    my_free(four[1]);
    *(uint64_t *)footer(block_of(four[1])) = 96;
    assert_broken("I2");
}

Test(solution, checker_catches_I3_a_wrong_prev_alloc_bit)
{
    four_blocks();
    set_prev_alloc_bit(block_of(four[2]), 0);
    assert_broken("I3");
}

Test(solution, checker_catches_I4_adjacent_free_blocks)
{
    four_blocks();
    my_free(four[1]);
    /* Mark c free by hand (with a consistent footer and PREV_ALLOC bits), skipping coalescing. */
    char *c = block_of(four[2]);
    set_header(c, 112, 0);
    copy_header_to_footer(c);
    set_prev_alloc_bit(block_of(four[3]), 0);
    assert_broken("I4");
}

Test(solution, checker_catches_I5_a_free_block_missing_from_its_list)
{
    four_blocks();
    my_free(four[1]);
    remove_free(block_of(four[1]));
    assert_broken("I5");
}

Test(solution, checker_catches_I5_a_block_in_the_wrong_list)
{
    four_blocks();
    my_free(four[1]);
    char *b = block_of(four[1]);
    remove_free(b);
    unsigned wrong = size_class(112) + 1;
    struct free_node *head = sentinel(wrong), *n = node_of(b);
    n->next = head->next;
    n->prev = link_to(head);
    next_node(head)->prev = link_to(n);
    head->next = link_to(n);
    A.nonempty |= (uint64_t)1 << wrong;
    assert_broken("I5");
}

Test(solution, checker_catches_I5_a_broken_sentinel_link)
{
    four_blocks();
    my_free(four[1]);
    sentinel(size_class(block_size(block_of(four[1]))))->prev = link_to(sentinel(0));
    assert_broken("I5");
}

Test(solution, checker_catches_I5_a_stale_bitmap_bit)
{
    A.nonempty |= (uint64_t)1 << 40;
    assert_broken("I5");
}

Test(solution, checker_catches_I6_a_slab_missing_from_the_page_map)
{
    heap_ready_for_slabs();
    char *p = my_alloc(16);
    mark_slab_pages(page_index(p), 1, 0);
    assert_broken("I6");
}

Test(solution, checker_catches_I6_a_stray_page_map_entry)
{
    heap_ready_for_slabs();
    my_alloc(16);
    char *big = my_alloc(20000);
    A.slab_map[page_index(big) + 1] = 1;
    assert_broken("I6");
}

Test(solution, checker_catches_I6_a_slab_page_marked_with_the_wrong_position)
{
    heap_ready_for_slabs();
    char *p = my_alloc(16);
    A.slab_map[page_index(p)] = 2;
    assert_broken("I6");
}

Test(solution, checker_catches_I7_a_wrong_used_count)
{
    heap_ready_for_slabs();
    char *p = my_alloc(16);
    slab_of(p)->used++;
    assert_broken("I7");
}

Test(solution, checker_catches_I7_a_cycle_in_the_free_slots)
{
    heap_ready_for_slabs();
    char *p = my_alloc(48), *q = my_alloc(48);
    cr_assert_not_null(my_alloc(48), "keeps the slab from being released");
    my_free(q);
    my_free(p);
    *slot_link(q) = (uint16_t)(p - (char *)slab_of(p));    /* q -> p -> q ... */
    assert_broken("I7");
}

Test(solution, checker_catches_I8_a_slab_of_a_class_that_has_not_warmed_up)
{
    unsigned k = slab_class(MID_REQUEST);
    for (uint32_t i = 0; i <= SLAB_WARMUP; i++)
        my_alloc(MID_REQUEST);
    assert_heap_ok();
    A.ctl->warm &= ~((uint64_t)1 << k);
    assert_broken("I8");
}

Test(solution, checker_catches_I8_a_warm_class_short_of_its_warm_up)
{
    unsigned k = slab_class(MID_REQUEST);
    for (uint32_t i = 0; i <= SLAB_WARMUP; i++)
        my_alloc(MID_REQUEST);
    cr_assert(class_is_warm(k));
    A.ctl->cold_requests[k] = 0;
    assert_broken("I8");
}

Test(solution, checker_catches_I8_a_wrong_slab_count)
{
    heap_ready_for_slabs();
    my_alloc(16);
    A.ctl->slabs[slab_class(16)]++;     /* would size the class's next slab wrongly */
    assert_broken("I8");
}

Test(solution, checker_catches_I8_a_slab_missing_from_its_list)
{
    heap_ready_for_slabs();
    char *p = my_alloc(16);
    A.ctl->slab_head[slab_class(16)] = 0;
    (void)p;
    assert_broken("I8");
}
