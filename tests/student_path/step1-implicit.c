/*
 * step1-implicit.c -- a student-style implementation of handout step 1 (§6,
 * "A suggested path"): an implicit free list, first fit, splitting, immediate
 * coalescing with boundary tags, allocate_slab growing the heap 4 KiB at a
 * time.  No my_realloc (the step does not ask for one: the driver falls back
 * to my_alloc + memcpy + my_free).
 *
 * Written from handout.md, include/my_alloc.h, include/memlib.h and the
 * starter (starter/my_alloc.c) alone, without looking at tests/allocators/ or
 * solution/; it is kept apart from tests/allocators/ as a validation set for
 * the handout's "typical score" table (tests/test_student_path.py).
 *
 * Block layout: the starter's boundary tags.
 *      header          payload (16-byte aligned)         footer
 *     +--------+------------------------------------+--------+
 *     | size|a |  ... what the caller uses ...      | size|a |
 *     +--------+------------------------------------+--------+
 * The heap starts with an 8-byte pad and a 16-byte allocated prologue block
 * (header + footer) and ends with an epilogue header of size 0, allocated.
 *
 * Invariants (checked by my_check_heap):
 *   I1 every block's header equals its footer
 *   I2 no two free blocks are adjacent (coalescing is complete)
 *   I3 every block's size is a multiple of 16 and at least MIN_BLOCK, its
 *      payload 16-aligned
 *   I4 every block lies inside [mem_heap_lo, mem_heap_hi], and the epilogue
 *      is the heap's last word
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* ---- constants and global state ------------------------------------------ */

#define WORD 8                    /* header and footer size */
#define MIN_BLOCK 32              /* header + 16 aligned payload bytes + footer */
#define ALLOC_BIT ((size_t)1)
#define CHUNK 4096                /* grow the heap 4 KiB at a time */

typedef size_t word_t;

static char *heap_start;          /* the prologue's payload */

#define HELPER static inline __attribute__((unused))

/* ---- small helpers: sizes, headers, footers, neighbours ------------------ */

HELPER size_t align_up(size_t n) { return (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1); }
HELPER word_t pack(size_t size, int allocated) { return size | (allocated ? ALLOC_BIT : 0); }
HELPER word_t get_word(const void *p) { return *(const word_t *)p; }
HELPER void put_word(void *p, word_t w) { *(word_t *)p = w; }
HELPER size_t size_of(word_t w) { return w & ~(size_t)(ALIGNMENT - 1); }
HELPER int is_allocated(word_t w) { return (int)(w & ALLOC_BIT); }
HELPER word_t *header_of(void *bp) { return (word_t *)((char *)bp - WORD); }
HELPER size_t block_size(void *bp) { return size_of(get_word(header_of(bp))); }
HELPER int block_allocated(void *bp) { return is_allocated(get_word(header_of(bp))); }
HELPER word_t *footer_of(void *bp) { return (word_t *)((char *)bp + block_size(bp) - 2 * WORD); }

HELPER void set_block(void *bp, size_t size, int allocated)
{
    put_word(header_of(bp), pack(size, allocated));
    put_word(footer_of(bp), pack(size, allocated));
}

HELPER size_t block_size_for(size_t size)
{
    size_t need = align_up(size + 2 * WORD);
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

HELPER void *next_block(void *bp) { return (char *)bp + block_size(bp); }
HELPER void *prev_block(void *bp)
{
    return (char *)bp - size_of(get_word((char *)bp - 2 * WORD));
}

/* ---- the block allocator: find a fit, split it, coalesce ----------------- */

/* First fit: walk every block, free and allocated, from the first one. */
static void *find_fit(size_t asize)
{
    for (char *bp = next_block(heap_start); block_size(bp) > 0; bp = next_block(bp))
        if (!block_allocated(bp) && block_size(bp) >= asize)
            return bp;
    return NULL;
}

/* Allocate asize bytes at the start of the free block bp; split off the rest
 * when it is at least MIN_BLOCK. */
static void place(void *bp, size_t asize)
{
    size_t have = block_size(bp);
    if (have - asize >= MIN_BLOCK) {
        set_block(bp, asize, 1);
        set_block(next_block(bp), have - asize, 0);
    } else {
        set_block(bp, have, 1);
    }
}

/* Immediate coalescing, the four cases of handout §1.8. */
static void *coalesce(void *bp)
{
    size_t size = block_size(bp);
    void *prev = prev_block(bp);
    void *next = next_block(bp);
    int prev_alloc = block_allocated(prev);
    int next_alloc = block_allocated(next);

    if (prev_alloc && next_alloc)
        return bp;
    if (prev_alloc && !next_alloc) {
        size += block_size(next);
        set_block(bp, size, 0);
        return bp;
    }
    if (!prev_alloc && next_alloc) {
        size += block_size(prev);
        set_block(prev, size, 0);
        return prev;
    }
    size += block_size(prev) + block_size(next);
    set_block(prev, size, 0);
    return prev;
}

/* ---- growing the heap ---------------------------------------------------- */

void *allocate_slab(size_t size)
{
    if (size > MEM_MAX_HEAP)
        return NULL;                   /* mem_sbrk could not grant it anyway */
    size = align_up(size);
    if (size < MIN_BLOCK)
        size = MIN_BLOCK;
    char *bp = mem_sbrk((intptr_t)size);
    if (bp == (void *)-1)
        return NULL;
    /* The old epilogue becomes the new block's header. */
    set_block(bp, size, 0);
    put_word(header_of(next_block(bp)), pack(0, 1));   /* new epilogue */
    return coalesce(bp);
}

/* ---- the contract -------------------------------------------------------- */

int my_init(void)
{
    heap_start = NULL;
    char *p = mem_sbrk(4 * WORD);
    if (p == (void *)-1)
        return -1;
    put_word(p, 0);                              /* pad */
    put_word(p + WORD, pack(2 * WORD, 1));       /* prologue header */
    put_word(p + 2 * WORD, pack(2 * WORD, 1));   /* prologue footer */
    put_word(p + 3 * WORD, pack(0, 1));          /* epilogue header */
    heap_start = p + 2 * WORD;
    return 0;
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    size_t asize = block_size_for(size);
    void *bp = find_fit(asize);
    if (bp == NULL) {
        bp = allocate_slab(asize > CHUNK ? asize : CHUNK);
        if (bp == NULL)
            return NULL;
    }
    place(bp, asize);
    return bp;
}

void my_free(void *ptr)
{
    if (ptr == NULL)
        return;
    set_block(ptr, block_size(ptr), 0);
    coalesce(ptr);
}

/* ---- the heap checker ---------------------------------------------------- */

int my_check_heap(void)
{
    char *lo = mem_heap_lo();
    char *end = (char *)mem_heap_hi() + 1;
    if (heap_start == NULL) {
        heap_report("I4: my_init has not laid out the heap");
        return 1;
    }
    if (block_size(heap_start) != 2 * WORD || !block_allocated(heap_start)) {
        heap_report("I4: prologue at %p broken (header %zx)", (void *)heap_start,
                    (size_t)get_word(header_of(heap_start)));
        return 1;
    }
    int prev_free = 0;
    char *bp;
    for (bp = next_block(heap_start); block_size(bp) > 0; bp = next_block(bp)) {
        size_t sz = block_size(bp);
        if ((uintptr_t)bp % ALIGNMENT != 0) {
            heap_report("I3: payload %p is not 16-aligned", (void *)bp);
            return 1;
        }
        if (sz < MIN_BLOCK || sz % ALIGNMENT != 0) {
            heap_report("I3: block %p has size %zu", (void *)bp, sz);
            return 1;
        }
        if (bp - WORD < lo || bp + sz - WORD > end) {
            heap_report("I4: block %p (size %zu) is outside the heap [%p, %p)", (void *)bp, sz,
                        (void *)lo, (void *)end);
            return 1;
        }
        if (get_word(header_of(bp)) != get_word(footer_of(bp))) {
            heap_report("I1: block %p header %zx != footer %zx", (void *)bp,
                        (size_t)get_word(header_of(bp)), (size_t)get_word(footer_of(bp)));
            return 1;
        }
        int is_free = !block_allocated(bp);
        if (is_free && prev_free) {
            heap_report("I2: block %p and the one before it are both free", (void *)bp);
            return 1;
        }
        prev_free = is_free;
    }
    if (bp != end || !block_allocated(bp)) {
        heap_report("I4: epilogue at %p, heap ends at %p", (void *)bp, (void *)end);
        return 1;
    }
    return 0;
}

void my_heap_walk(heap_visit_fn *visit, void *ctx)
{
    for (char *bp = next_block(heap_start); block_size(bp) > 0; bp = next_block(bp)) {
        struct heap_block b = { header_of(bp), block_size(bp), block_allocated(bp) ? bp : NULL, 0 };
        visit(ctx, &b);
    }
}
