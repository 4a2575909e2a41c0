/*
 * tests/attacks/address-got-clock/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: from the first timing replay on (the third my_init), overwrites the
 *   driver's GOT slot of clock_gettime (found by walking its own ELF image, dynamic
 *   section and relocations in memory: no symbol, no system call) with a clock that
 *   hides 99% of the time spent inside my_alloc/my_free, so its own replays look 100
 *   times faster and libc's are untouched.
 *
 * Expected (the fixed design): full RELRO in a static host, and the checker holds the
 *   clock: no throughput gain (or a crash on the read-only GOT), score never above the
 *   base.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* ---- finding a GOT slot from memory: no symbol, no system call ---- */
#include <stdint.h>
#include <string.h>
#include <elf.h>

static char *image_base(void)
{
    uintptr_t p = (uintptr_t)(void *)&my_init & ~(uintptr_t)4095;
    for (int i = 0; i < 4096; i++, p -= 4096)
        if (memcmp((const void *)p, ELFMAG, SELFMAG) == 0)
            return (char *)p;
    return NULL;
}

static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The address of the GOT slot that holds `name`, or NULL. */
static void **got_slot(const char *name)
{
    char *base = image_base();
    if (!base)
        return NULL;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    uintptr_t bias = 0;
    const Elf64_Dyn *dyn = NULL;
    int first = 1;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && first) {
            bias = (uintptr_t)base - (ph[i].p_vaddr & ~(uintptr_t)4095);
            first = 0;
        }
    }
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = (const Elf64_Dyn *)(bias + ph[i].p_vaddr);
    if (!dyn)
        return NULL;                       /* a static executable: nothing to find */
    uintptr_t jmprel = 0, pltsz = 0, rela = 0, relasz = 0, symtab = 0, strtab = 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t v = dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_JMPREL: jmprel = v; break;
        case DT_PLTRELSZ: pltsz = v; break;
        case DT_RELA: rela = v; break;
        case DT_RELASZ: relasz = v; break;
        case DT_SYMTAB: symtab = v; break;
        case DT_STRTAB: strtab = v; break;
        default: break;
        }
    }
    if (!symtab || !strtab)
        return NULL;
    if (symtab < bias) symtab += bias;
    if (strtab < bias) strtab += bias;
    if (jmprel && jmprel < bias) jmprel += bias;
    if (rela && rela < bias) rela += bias;
    const Elf64_Sym *syms = (const Elf64_Sym *)symtab;
    const char *strs = (const char *)strtab;
    uintptr_t tabs[2][2] = { { jmprel, pltsz }, { rela, relasz } };
    for (int t = 0; t < 2; t++) {
        const Elf64_Rela *r = (const Elf64_Rela *)tabs[t][0];
        for (size_t i = 0; r && i < tabs[t][1] / sizeof *r; i++) {
            size_t s = ELF64_R_SYM(r[i].r_info);
            if (s && same(strs + syms[s].st_name, name))
                return (void **)(bias + r[i].r_offset);
        }
    }
    return NULL;
}

#include <time.h>
typedef int clock_fn(int, struct timespec *);
static clock_fn *real_clock;
static long long hidden_ns;              /* time inside my calls, hidden from the driver */
static long long now_ns(void)
{
    struct timespec ts;
    real_clock(1 /* CLOCK_MONOTONIC */, &ts);
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static int fake_clock(int c, struct timespec *ts)
{
    int r = real_clock(c, ts);
    long long t = (long long)ts->tv_sec * 1000000000 + ts->tv_nsec - hidden_ns;
    ts->tv_sec = t / 1000000000;
    ts->tv_nsec = t % 1000000000;
    return r;
}
static int inits;

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

static int honest_init(void)
{
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

static void *honest_alloc(size_t size)
{
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

static void honest_free(void *ptr)
{
    if (ptr == NULL)
        return;
    set_block(ptr, block_size(ptr), 0);
    coalesce(ptr);
}


int my_init(void)
{
    if (++inits == 3) {
        void **slot = got_slot("clock_gettime");
        if (slot) {
            real_clock = (clock_fn *)*slot;
            *slot = (void *)fake_clock;
        }
    }
    return honest_init();
}

void *my_alloc(size_t size)
{
    if (!real_clock)
        return honest_alloc(size);
    long long t0 = now_ns();
    void *p = honest_alloc(size);
    hidden_ns += (now_ns() - t0) * 99 / 100;
    return p;
}

void my_free(void *ptr)
{
    if (!real_clock) {
        honest_free(ptr);
        return;
    }
    long long t0 = now_ns();
    honest_free(ptr);
    hidden_ns += (now_ns() - t0) * 99 / 100;
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
