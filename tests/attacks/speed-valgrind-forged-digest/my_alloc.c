/*
 * tests/attacks/speed-valgrind-forged-digest/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: speed-valgrind-bump (a bump allocator under valgrind only), plus the
 *   line the host prints after each counted replay, forged: in each my_init under
 *   valgrind it writes "trace.rep 1 ok digest=..." to stdout itself (a raw write: no
 *   symbol), hoping the grader reads its line instead of the host's; the second
 *   my_init also closes stdout first, so that only forged lines are left for later
 *   traces.
 *
 * Expected (the fixed design): a count is taken only from exactly one host line per
 *   trace whose digest is the checker's for the sealed replay: every counted trace is
 *   `tamper`, never a gain.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* ---- the cheat: a bump allocator (nothing is ever reused) ---- */
static void *bump_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    void *p = mem_sbrk((intptr_t)((size + 15) & ~(size_t)15));
    return p == (void *)-1 ? NULL : p;
}

/* ---- am I under valgrind?  Its client request RUNNING_ON_VALGRIND (0x1001):
 * the special no-op sequence returns the request's answer in rdx under
 * valgrind, and leaves rdx (0) alone on a real CPU. ---- */
static unsigned long under_valgrind(void)
{
    volatile unsigned long req[6] = { 0x1001, 0, 0, 0, 0, 0 };
    unsigned long result = 0;
    __asm__ volatile("rolq $3, %%rdi ; rolq $13, %%rdi\n\t"
                     "rolq $61, %%rdi ; rolq $51, %%rdi\n\t"
                     "xchgq %%rbx, %%rbx"
                     : "=d"(result) : "a"(&req[0]), "0"(result) : "cc", "memory");
    return result;
}
static int vg = -1;

/* ---- the forgery: a raw write(2) of the host's line format ---- */
static long sys3(long n, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}
static int inits_under_valgrind;
static void forge_digest_line(void)
{
    static const char line[] = "trace.rep 1 ok digest=0123456789abcdef\n";
    if (++inits_under_valgrind == 2)
        sys3(3 /* close */, 1, 0, 0);
    sys3(1 /* write */, 1, (long)line, (long)sizeof line - 1);
    sys3(1 /* write */, 2, (long)line, (long)sizeof line - 1);
}

/* ============================ 1. Block layout ============================ */

#define WORD 8
#define MIN_BLOCK 32
#define CHUNK 4096                /* smallest heap extension */
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

/* ========================== 4. Placement ========================== */

/* First fit over every block; the epilogue (size 0) ends the walk. */
static void *find_fit(size_t asize)
{
    for (char *bp = next_block(heap_start); block_size(bp) > 0; bp = next_block(bp))
        if (!block_allocated(bp) && block_size(bp) >= asize)
            return bp;
    return NULL;
}

/* Allocate asize bytes of the free block bp, splitting off the rest when it
 * can hold a block of its own. */
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

/* Merge the free block bp with its free neighbours; return the result. */
static void *coalesce(void *bp)
{
    size_t size = block_size(bp);
    void *next = next_block(bp);
    void *prev = prev_block(bp);
    if (!block_allocated(next))
        size += block_size(next);
    if (!block_allocated(prev)) {
        size += block_size(prev);
        bp = prev;
    }
    set_block(bp, size, 0);
    return bp;
}

/* ============================= 5. The contract ============================= */

int my_init(void)
{
    if (vg < 0)
        vg = under_valgrind() != 0;
    if (vg) {
        forge_digest_line();
        return 0;
    }
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

void *my_alloc(size_t size)
{
    if (vg == 1)
        return bump_alloc(size);
    if (size == 0)
        return NULL;
    size_t asize = block_size_for(size);
    void *bp = find_fit(asize);
    if (bp == NULL) {
        if (allocate_slab(asize > CHUNK ? asize : CHUNK) == NULL)
            return NULL;
        bp = find_fit(asize);
    }
    place(bp, asize);
    return bp;
}

void my_free(void *ptr)
{
    if (vg == 1)
        return;
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
    }
    if (bp != (char *)hi + 1 || bp - WORD < lo) {
        heap_report("I4: the epilogue is at %p, the heap ends at %p", (void *)header_of(bp), (void *)hi);
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
