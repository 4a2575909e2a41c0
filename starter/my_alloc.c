/*
 * my_alloc.c -- YOUR allocator.  This is the starter: it compiles, runs under
 * the driver and scores 0 (my_alloc returns NULL, so every trace stops at its
 * first request with a "null" failure).  Read handout.md first; the contract
 * you implement is include/my_alloc.h, and the only memory you may use comes
 * from mem_sbrk (include/memlib.h).
 *
 * The file is laid out in the order you will need things (the reference
 * solution has the same sections, filled in):
 *   constants and global state
 *   small helpers       -- headers, footers, the size and allocated bits,
 *                          next / previous block in address order
 *   size classes, free lists  -- where free blocks wait
 *   growing the heap    -- allocate_slab
 *   the block allocator -- find a fit, split it (place), coalesce
 *   the contract        -- my_init, my_alloc, my_free, (my_realloc)
 *   the heap checker    -- my_check_heap: verify your invariants
 * The small helpers are written for you (a suggested layout; change it if
 * you like).  Everything marked TODO is yours.
 *
 * ---- The suggested block layout (boundary tags) ----------------------------
 *
 *      header          payload (16-byte aligned)         footer
 *     +--------+------------------------------------+--------+
 *     | size|a |  ... what the caller uses ...      | size|a |
 *     +--------+------------------------------------+--------+
 *     ^ block start     ^ bp (what my_alloc returns)
 *
 *   A block's size counts header, payload, padding and footer, and is a
 *   multiple of 16, so its low 4 bits are free: bit 0 holds "allocated".
 *   A free block reuses its payload area for free-list links (next, prev),
 *   so the smallest block is MIN_BLOCK = 32 bytes.
 *   The heap starts with an 8-byte pad (so the first payload is 16-aligned)
 *   and a prologue block, and ends with an epilogue header of size 0: they
 *   let coalescing look at "the neighbour" without special cases.
 *
 * ---- Write down your invariants here (your checker will verify them) --------
 *   TODO e.g.  I1 every block's header equals its footer
 *              I2 no two free blocks are adjacent (coalescing is complete)
 *              I3 every free block is on exactly one free list, the right one
 *              I4 every block lies inside [mem_heap_lo, mem_heap_hi]
 *
 * ---- How to debug --------------------------------------------------------------
 *   make                       rebuilds build/allocator (your code, linked
 *                              with the kit's host) and build/driver
 *   build/driver -V -f traces/<name>.rep
 *                              one trace, verbose: runs my_check_heap after
 *                              every operation and names the op, trace line,
 *                              block and address of the first thing that broke
 *   make grade                 the score the TAs will see, with reasons
 *   Your heap checker is your best tool: when the driver says "corrupted" or
 *   "overlap" at op 5000, a good checker says what broke at op 4990.
 *   gdb: gdb --args build/allocator --debug --break-at N -f traces/<name>.rep
 *        (the debug mode replays in one process, with the same checks; it
 *        stops right before op N; `bt` after a crash; handout.md section 4)
 *   valgrind: valgrind --suppressions=grader/driver/static-libc.supp \
 *                 build/allocator --debug -f traces/<name>.rep
 *        is of little help inside the simulated heap (it is one big mapping),
 *        but catches uninitialized values in your logic; heap_report()
 *        messages and the checker do the rest.
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* ---- constants and global state ------------------------------------------ */

#define WORD 8                    /* header and footer size */
#define MIN_BLOCK 32              /* header + next + prev + footer */
#define ALLOC_BIT ((size_t)1)

typedef size_t word_t;

/* Writable globals (static variables included) are capped at 128 bytes in
 * total: keep your state small -- an array of 8 list heads is 64 bytes.
 * TODO: e.g.  static char *heap_start;   (the prologue's payload)         */

/* Every helper below is HELPER: static inline, and marked unused so that the
 * compiler (-Werror) stays quiet about the ones you have not called yet. */
#define HELPER static inline __attribute__((unused))

/* ---- small helpers: sizes, headers, footers, neighbours ------------------ */

/* Round n up to a multiple of ALIGNMENT. */
HELPER size_t align_up(size_t n) { return (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1); }

/* A header or footer word: the block size with the allocated bit folded in. */
HELPER word_t pack(size_t size, int allocated) { return size | (allocated ? ALLOC_BIT : 0); }

HELPER word_t get_word(const void *p) { return *(const word_t *)p; }
HELPER void put_word(void *p, word_t w) { *(word_t *)p = w; }

HELPER size_t size_of(word_t w) { return w & ~(size_t)(ALIGNMENT - 1); }
HELPER int is_allocated(word_t w) { return (int)(w & ALLOC_BIT); }

/* bp is a payload pointer: the header is the word just before it, and the
 * footer is the last word of the block. */
HELPER word_t *header_of(void *bp) { return (word_t *)((char *)bp - WORD); }
HELPER size_t block_size(void *bp) { return size_of(get_word(header_of(bp))); }
HELPER word_t *footer_of(void *bp) { return (word_t *)((char *)bp + block_size(bp) - 2 * WORD); }

/* Write matching header and footer for the block at bp. */
HELPER void set_block(void *bp, size_t size, int allocated)
{
    put_word(header_of(bp), pack(size, allocated));
    put_word(footer_of(bp), pack(size, allocated));
}

/* The block size needed for a request of `size` payload bytes: header and
 * footer added, rounded up to ALIGNMENT, never below MIN_BLOCK. */
HELPER size_t block_size_for(size_t size)
{
    size_t need = align_up(size + 2 * WORD);
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

/* The block after bp in address order (the epilogue after the last block). */
HELPER void *next_block(void *bp) { return (char *)bp + block_size(bp); }

/* The block before bp: its footer is the word just before bp's header. */
HELPER void *prev_block(void *bp)
{
    return (char *)bp - size_of(get_word((char *)bp - 2 * WORD));
}

/* ---- size classes and free lists ----------------------------------------- */

/*
 * TODO: pick your free-list organisation (handout.md, "A suggested path"):
 *   - implicit list: no list at all, walk every block with next_block();
 *   - explicit list: one doubly linked list through the free blocks' payloads;
 *   - segregated lists: an array of list heads, one per size class.
 * A free block's payload holds its links:
 */
struct free_links {
    void *next;
    void *prev;
};

/* static void *free_heads[NUM_CLASSES];   <- e.g. for segregated lists */

/* The size class (index into your list heads) for a block of `size` bytes. */
HELPER int size_class(size_t size)
{
    (void)size;   /* TODO */
    return 0;
}

/* Put the free block bp on its list (LIFO: at the head; or address-ordered). */
HELPER void insert_free(void *bp)
{
    (void)bp;   /* TODO */
}

/* Take the free block bp off its list. */
HELPER void remove_free(void *bp)
{
    (void)bp;   /* TODO */
}

/* ---- the block allocator: find a fit, split it, coalesce ----------------- */

/* Return a free block of at least `asize` bytes, or NULL when there is none.
 * First fit, next fit or best fit; with size classes start at
 * size_class(asize) and try larger classes until one has a fit. */
HELPER void *find_fit(size_t asize)
{
    (void)asize;   /* TODO */
    return NULL;
}

/* Mark the free block bp allocated for a request of block size `asize`.
 * If the rest is at least MIN_BLOCK, split it off as a new free block. */
HELPER void place(void *bp, size_t asize)
{
    (void)bp;      /* TODO */
    (void)asize;
}

/* Merge the free block bp with whichever neighbours are free (the four
 * cases: neither, next, previous, both) and return the merged block. */
HELPER void *coalesce(void *bp)
{
    return bp;     /* TODO */
}

/* ---- growing the heap ---------------------------------------------------- */

/* Grow the heap by at least `size` bytes and return where the new free
 * memory starts (the contract, (S1)-(S4), is in include/my_alloc.h; the unit
 * test alloc/allocate_slab_contract checks it).  With boundary tags: round
 * size up to 16 (my_alloc asks for a generous chunk, e.g. 4 KiB, to call
 * mem_sbrk less often), call mem_sbrk; the old epilogue becomes the new
 * block's header, write its footer and a new epilogue at the end, put the
 * block on your lists -- coalescing with the last block if that one is free
 * -- and return the new block's payload pointer (bp).
 * NULL when mem_sbrk returns (void *)-1, with nothing changed. */
void *allocate_slab(size_t size)
{
    (void)size;    /* TODO */
    return NULL;
}

/* ---- the contract -------------------------------------------------------- */

/* Reset ALL state (every global and static) and lay out an empty heap:
 * pad word, prologue, epilogue.  Runs before every replay of every trace. */
int my_init(void)
{
    /* TODO: mem_sbrk the pad, prologue and epilogue; clear your list heads. */
    return 0;
}

/* NULL for size 0.  Otherwise: asize = block_size_for(size); find_fit; if
 * none, allocate_slab; place; return the payload pointer. */
void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    /* TODO */
    return NULL;
}

/* Free the block: mark header and footer free, coalesce, put it on a list.
 * NULL is a no-op. */
void my_free(void *ptr)
{
    if (ptr == NULL)
        return;
    /* TODO */
}

/*
 * my_realloc is OPTIONAL: without it the driver does my_alloc + memcpy +
 * my_free.  Writing it pays off on realloc-heavy traces: grow in place when
 * the next block is free (or is the epilogue: extend the heap), shrink in
 * place by splitting.  Uncomment and fill in when the rest works:
 *
 * void *my_realloc(void *ptr, size_t size)
 * {
 *     ...
 * }
 */

/* ---- the heap checker ---------------------------------------------------- */

/*
 * Walk every block from the prologue to the epilogue and every free list, and
 * check the invariants written at the top of this file.  On the first broken
 * one, describe it and return nonzero, e.g.
 *     heap_report("I1: block %p header %zu != footer %zu", bp, h, f);
 *     return 1;
 * The driver calls this after every operation with -V or -c.
 */
int my_check_heap(void)
{
    /* TODO: for (bp = first block; block_size(bp) > 0; bp = next_block(bp))
     *           check alignment, header == footer, no two free neighbours,
     *           count free blocks;
     *       then walk the lists: every entry free, in the heap, in the right
     *       class, and the count matches the heap walk. */
    return 0;
}

/*
 * my_heap_walk is OPTIONAL too: define it and
 *     python3 -m grader my_alloc.c --html report
 * draws your heap block by block in report/index.html (see include/my_alloc.h):
 *
 * void my_heap_walk(heap_visit_fn *visit, void *ctx)
 * {
 *     for (each block bp in address order) {
 *         struct heap_block b = { header_of(bp), block_size(bp),
 *                                 is_allocated(...) ? bp : NULL, 0 };
 *         visit(ctx, &b);
 *     }
 * }
 */
