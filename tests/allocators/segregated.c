/*
 * segregated.c -- step 3 of handout.md's suggested path: segregated free
 * lists (one explicit list per power-of-two size class), LIFO insertion,
 * first fit within a class and then the larger classes (close to best fit),
 * splitting, coalescing with boundary tags, an in-place my_realloc, and heap
 * growth of only what is missing when the last block is free.
 *
 * It is explicit.c with an array of list heads in place of one list; the
 * reference solution adds slabs of same-size blocks for small requests.
 * Kept as a test fixture: the handout quotes its measured score.
 *
 * Layout: as in implicit.c (pad, prologue, blocks, epilogue; header and
 * footer words of size | allocated); a free block's payload starts with its
 * list links {next, prev}.
 *
 * Invariants (checked by my_check_heap):
 *   I1  every block's header equals its footer
 *   I2  every payload is 16-byte aligned and every block size a multiple of 16,
 *       at least MIN_BLOCK
 *   I3  no two free blocks are adjacent
 *   I4  the blocks tile the heap exactly from the prologue to the epilogue
 *   I5  the lists hold exactly the free blocks, each once, each on the list
 *       of its size class, and their next/prev links agree
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* ============================ 1. Block layout ============================ */

#define WORD 8
#define MIN_BLOCK 32
#define MIN_GROWTH 256           /* smallest heap extension */
#define NUM_CLASSES 12           /* 32-63, 64-127, ..., 2^16 and up */
#define ALLOC_BIT ((size_t)1)

typedef size_t word_t;

static char *heap_start;          /* payload of the prologue block */

static inline size_t align_up(size_t n) { return (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1); }
static inline word_t pack(size_t size, int allocated) { return size | (allocated ? ALLOC_BIT : 0); }
static inline word_t get_word(const void *p) { return *(const word_t *)p; }
static inline void put_word(void *p, word_t w) { *(word_t *)p = w; }
static inline size_t size_of(word_t w) { return w & ~(size_t)(ALIGNMENT - 1); }
static inline int is_allocated(word_t w) { return (int)(w & ALLOC_BIT); }

static inline word_t *header_of(void *bp) { return (word_t *)((char *)bp - WORD); }
static inline size_t block_size(void *bp) { return size_of(get_word(header_of(bp))); }
static inline int block_allocated(void *bp) { return is_allocated(get_word(header_of(bp))); }
static inline word_t *footer_of(void *bp) { return (word_t *)((char *)bp + block_size(bp) - 2 * WORD); }

static inline void set_block(void *bp, size_t size, int allocated)
{
    put_word(header_of(bp), pack(size, allocated));
    put_word(footer_of(bp), pack(size, allocated));
}

static inline size_t block_size_for(size_t size)
{
    size_t need = align_up(size + 2 * WORD);
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

/* ========================== 2. Block navigation ========================== */

static inline void *next_block(void *bp) { return (char *)bp + block_size(bp); }
static inline void *prev_block(void *bp)
{
    return (char *)bp - size_of(get_word((char *)bp - 2 * WORD));
}

/* ============================= 3. Free lists ============================= */

struct free_links {
    struct free_links *next;
    struct free_links *prev;
};

/* One LIFO list per size class: the last block freed is first. */
static struct free_links *free_lists[NUM_CLASSES];

static inline struct free_links *links_of(void *bp) { return (struct free_links *)bp; }

/* Class c holds blocks of 2^(c+5) to 2^(c+6)-1 bytes; the last class the rest. */
static int size_class(size_t size)
{
    int c = 0;
    for (size_t limit = 2 * MIN_BLOCK; c < NUM_CLASSES - 1 && size >= limit; limit <<= 1)
        c++;
    return c;
}

static void list_insert(void *bp)
{
    struct free_links **head = &free_lists[size_class(block_size(bp))];
    struct free_links *node = links_of(bp);
    node->prev = NULL;
    node->next = *head;
    if (*head)
        (*head)->prev = node;
    *head = node;
}

static void list_remove(void *bp)
{
    struct free_links *node = links_of(bp);
    if (node->prev)
        node->prev->next = node->next;
    else
        free_lists[size_class(block_size(bp))] = node->next;
    if (node->next)
        node->next->prev = node->prev;
}

/* ========================== 4. Placement ========================== */

/* First fit in asize's class, then the first block of a larger class. */
static void *find_fit(size_t asize)
{
    for (int c = size_class(asize); c < NUM_CLASSES; c++)
        for (struct free_links *node = free_lists[c]; node; node = node->next)
            if (block_size(node) >= asize)
                return node;
    return NULL;
}

/* Allocate asize bytes of the free block bp, splitting off the rest when it
 * can hold a block of its own. */
static void place(void *bp, size_t asize)
{
    size_t have = block_size(bp);
    list_remove(bp);
    if (have - asize >= MIN_BLOCK) {
        set_block(bp, asize, 1);
        set_block(next_block(bp), have - asize, 0);
        list_insert(next_block(bp));
    } else {
        set_block(bp, have, 1);
    }
}

/* Merge the free block bp (on no list yet) with its free neighbours, taking
 * them off the list, and put the result on the list. */
static void *coalesce(void *bp)
{
    size_t size = block_size(bp);
    void *next = next_block(bp);
    void *prev = prev_block(bp);
    if (!block_allocated(next)) {
        list_remove(next);
        size += block_size(next);
    }
    if (!block_allocated(prev)) {
        list_remove(prev);
        size += block_size(prev);
        bp = prev;
    }
    set_block(bp, size, 0);
    list_insert(bp);
    return bp;
}

/* ============================= 5. The contract ============================= */

int my_init(void)
{
    char *p = mem_sbrk(4 * WORD);
    if (p == (void *)-1)
        return -1;
    put_word(p, 0);                              /* pad */
    put_word(p + WORD, pack(2 * WORD, 1));       /* prologue header */
    put_word(p + 2 * WORD, pack(2 * WORD, 1));   /* prologue footer */
    put_word(p + 3 * WORD, pack(0, 1));          /* epilogue header */
    heap_start = p + 2 * WORD;
    for (int c = 0; c < NUM_CLASSES; c++)
        free_lists[c] = NULL;
    return 0;
}

/* The new memory's first word is the old epilogue: it becomes the header of
 * one free block covering the slab, and a new epilogue goes at the end. */
void *allocate_slab(size_t size)
{
    size = align_up(size);
    char *bp = mem_sbrk((intptr_t)size);
    if (bp == (void *)-1)
        return NULL;
    set_block(bp, size, 0);
    put_word(header_of(next_block(bp)), pack(0, 1));
    coalesce(bp);
    return bp;
}

/* The last block before the epilogue when it is free, else NULL. */
static void *free_last_block(void)
{
    void *last = prev_block(mem_brk());
    return block_allocated(last) ? NULL : last;
}

/* Grow the heap so that a free block of at least asize bytes ends it, asking
 * mem_sbrk only for what the free last block (if any) lacks.  Returns that
 * block, on its list, or NULL when the heap is exhausted. */
static void *grow_for(size_t asize)
{
    void *last = free_last_block();
    size_t missing = asize - (last ? block_size(last) : 0);
    if (allocate_slab(missing > MIN_GROWTH ? missing : MIN_GROWTH) == NULL)
        return NULL;
    return prev_block(mem_brk());
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    size_t asize = block_size_for(size);
    void *bp = find_fit(asize);
    if (bp == NULL && (bp = grow_for(asize)) == NULL)
        return NULL;
    place(bp, asize);
    return bp;
}

/* Resize in place when possible: shrink by splitting, grow into a free next
 * block or, at the end of the heap, by growing the heap. */
void *my_realloc(void *ptr, size_t size)
{
    size_t asize = block_size_for(size);
    size_t have = block_size(ptr);
    if (asize <= have) {
        if (have - asize >= MIN_BLOCK) {
            set_block(ptr, asize, 1);
            void *rest = next_block(ptr);
            set_block(rest, have - asize, 0);
            coalesce(rest);
        }
        return ptr;
    }
    void *next = next_block(ptr);
    size_t room = have + (block_allocated(next) ? 0 : block_size(next));
    int ends_heap = block_size(next) == 0 || (!block_allocated(next) && block_size(next_block(next)) == 0);
    if (room < asize && ends_heap) {                   /* grow the heap under ptr */
        if (allocate_slab(asize - room) == NULL)
            return NULL;
        next = next_block(ptr);
        room = have + block_size(next);
    }
    if (!block_allocated(next) && room >= asize) {
        list_remove(next);
        if (room - asize >= MIN_BLOCK) {
            set_block(ptr, asize, 1);
            set_block(next_block(ptr), room - asize, 0);
            list_insert(next_block(ptr));
        } else {
            set_block(ptr, room, 1);
        }
        return ptr;
    }
    void *q = my_alloc(size);
    if (q == NULL)
        return NULL;
    memcpy(q, ptr, have - 2 * WORD);
    my_free(ptr);
    return q;
}

void my_free(void *ptr)
{
    if (ptr == NULL)
        return;
    set_block(ptr, block_size(ptr), 0);
    coalesce(ptr);
}

/* ============================= 6. Heap checker ============================= */

int my_check_heap(void)
{
    char *lo = mem_heap_lo(), *hi = mem_heap_hi();
    int prev_free = 0;
    size_t free_blocks = 0;
    char *bp;
    for (bp = next_block(heap_start); block_size(bp) > 0; bp = next_block(bp)) {
        size_t size = block_size(bp);
        if ((uintptr_t)bp % ALIGNMENT != 0 || size % ALIGNMENT != 0 || size < MIN_BLOCK) {
            heap_report("I2: block %p has size %zu or a misaligned payload", (void *)bp, size);
            return 1;
        }
        if (bp + size - WORD > hi + 1) {
            heap_report("I4: block %p of size %zu runs past the heap end %p", (void *)bp, size, (void *)hi);
            return 1;
        }
        if (get_word(header_of(bp)) != get_word(footer_of(bp))) {
            heap_report("I1: block %p header %#zx != footer %#zx", (void *)bp,
                        get_word(header_of(bp)), get_word(footer_of(bp)));
            return 1;
        }
        int is_free = !block_allocated(bp);
        if (is_free && prev_free) {
            heap_report("I3: free block %p follows another free block", (void *)bp);
            return 1;
        }
        prev_free = is_free;
        free_blocks += (size_t)is_free;
    }
    if (bp != (char *)hi + 1 || bp - WORD < lo) {
        heap_report("I4: the epilogue is at %p, the heap ends at %p", (void *)header_of(bp), (void *)hi);
        return 1;
    }
    size_t listed = 0;
    for (int c = 0; c < NUM_CLASSES; c++) {
        for (struct free_links *node = free_lists[c], *prev = NULL; node; prev = node, node = node->next) {
            if ((char *)node < lo || (char *)node > hi) {
                heap_report("I5: free-list entry %p is outside the heap", (void *)node);
                return 1;
            }
            if (block_allocated(node)) {
                heap_report("I5: allocated block %p is on the free list", (void *)node);
                return 1;
            }
            if (size_class(block_size(node)) != c) {
                heap_report("I5: free block %p of %zu bytes is on list %d, belongs on list %d", (void *)node,
                            block_size(node), c, size_class(block_size(node)));
                return 1;
            }
            if (node->prev != prev) {
                heap_report("I5: free-list entry %p has prev %p, expected %p", (void *)node,
                            (void *)node->prev, (void *)prev);
                return 1;
            }
            if (++listed > free_blocks) {
                heap_report("I5: the free list is longer than the %zu free blocks (a cycle?)", free_blocks);
                return 1;
            }
        }
    }
    if (listed != free_blocks) {
        heap_report("I5: %zu free blocks in the heap, %zu on the free list", free_blocks, listed);
        return 1;
    }
    return 0;
}

void my_heap_walk(heap_visit_fn *visit, void *ctx)
{
    for (char *bp = next_block(heap_start); block_size(bp) > 0; bp = next_block(bp)) {
        struct heap_block b = {
            .start = header_of(bp),
            .size = block_size(bp),
            .payload = block_allocated(bp) ? bp : NULL,
            .slab_class = 0,
        };
        visit(ctx, &b);
    }
}
