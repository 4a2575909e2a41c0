/*
 * tests/buggy/calls-abort -- a BUGGY allocator for the grader's tests.
 *
 * The classic mistake: an assert-like abort() on a case the author thought
 * impossible (a request larger than one chunk).
 * The line with the mistake is marked BUG; tests/test_buggy.py asserts the
 * driver's exact verdict for it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* An explicit free list allocator: header and footer words (size | allocated
 * bit), free blocks doubly linked through their payloads, LIFO, first fit,
 * splitting and immediate coalescing.  Correct except where marked BUG. */

#define WORD 8
#define MIN_BLOCK 32
#define CHUNK 4096

typedef size_t word_t;
struct links { struct links *next, *prev; };

static char *heap_start;          /* payload of the prologue block */
static struct links *free_list;

static size_t align_up(size_t n) { return (n + 15) & ~(size_t)15; }
static word_t get(const void *p) { return *(const word_t *)p; }
static void put(void *p, word_t w) { *(word_t *)p = w; }
static word_t *hdr(void *bp) { return (word_t *)((char *)bp - WORD); }
static size_t size_at(const void *p) { return get(p) & ~(size_t)15; }
static size_t bsize(void *bp) { return size_at(hdr(bp)); }
static int used(void *bp) { return (int)(get(hdr(bp)) & 1); }
static word_t *ftr(void *bp) { return (word_t *)((char *)bp + bsize(bp) - 2 * WORD); }
static void *next_blk(void *bp) { return (char *)bp + bsize(bp); }
static void *prev_blk(void *bp) { return (char *)bp - size_at((char *)bp - 2 * WORD); }

static void set_block(void *bp, size_t size, int alloc)
{
    put(hdr(bp), size | (word_t)alloc);
    put(ftr(bp), size | (word_t)alloc);
}

static size_t asize_for(size_t size)
{
    size_t need = align_up(size + 2 * WORD);
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

static void list_insert(void *bp)
{
    struct links *n = bp;
    n->prev = NULL;
    n->next = free_list;
    if (free_list)
        free_list->prev = n;
    free_list = n;
}

static void list_remove(void *bp)
{
    struct links *n = bp;
    if (n->prev)
        n->prev->next = n->next;
    else
        free_list = n->next;
    if (n->next)
        n->next->prev = n->prev;
}

static void *find_fit(size_t asize)
{
    for (struct links *n = free_list; n; n = n->next)
        if (bsize(n) >= asize)
            return n;
    return NULL;
}

static void place(void *bp, size_t asize)
{
    size_t have = bsize(bp);
    list_remove(bp);
    if (have - asize >= MIN_BLOCK) {
        set_block(bp, asize, 1);
        void *rest = next_blk(bp);
        set_block(rest, have - asize, 0);
        list_insert(rest);
    } else {
        set_block(bp, have, 1);
    }
}

static void *coalesce(void *bp)
{
    size_t size = bsize(bp);
    void *next = next_blk(bp), *prev = prev_blk(bp);
    if (!used(next)) {
        list_remove(next);
        size += bsize(next);
    }
    if (!used(prev)) {
        list_remove(prev);
        size += bsize(prev);
        bp = prev;
    }
    set_block(bp, size, 0);
    list_insert(bp);
    return bp;
}

int my_init(void)
{
    char *p = mem_sbrk(4 * WORD);
    if (p == (void *)-1)
        return -1;
    put(p, 0);                      /* pad: payloads land on 16 */
    put(p + WORD, 2 * WORD | 1);    /* prologue header */
    put(p + 2 * WORD, 2 * WORD | 1);/* prologue footer */
    put(p + 3 * WORD, 0 | 1);       /* epilogue */
    heap_start = p + 2 * WORD;
    free_list = NULL;
    return 0;
}

void *allocate_slab(size_t size)
{
    size = align_up(size);
    char *bp = mem_sbrk((intptr_t)size);
    if (bp == (void *)-1)
        return NULL;
    set_block(bp, size, 0);          /* its header is the old epilogue */
    put(hdr(next_blk(bp)), 0 | 1);   /* the new epilogue */
    return coalesce(bp);
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    size_t asize = asize_for(size);
    if (asize > CHUNK)
        abort();                 /* BUG: "can't happen" -- but large requests are legal */
    void *bp = find_fit(asize);
    if (!bp && !allocate_slab(asize > CHUNK ? asize : CHUNK))
        return NULL;
    if (!bp)
        bp = find_fit(asize);
    place(bp, asize);
    return bp;
}

void my_free(void *ptr)
{
    if (ptr == NULL)
        return;
    set_block(ptr, bsize(ptr), 0);
    coalesce(ptr);
}

void *my_realloc(void *ptr, size_t size)
{
    size_t asize = asize_for(size), have = bsize(ptr);
    if (asize <= have)
        return ptr;                  /* shrinking (or the block is big enough) */
    void *q = my_alloc(size);
    if (!q)
        return NULL;
    memcpy(q, ptr, have - 2 * WORD);
    my_free(ptr);
    return q;
}
