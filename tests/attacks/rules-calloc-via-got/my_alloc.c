/*
 * tests/attacks/rules-calloc-via-got/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: reaches libc's calloc through the driver's GOT (found in memory: no
 *   undefined symbol) for its out-of-heap metadata tables.
 *
 * Expected (the fixed design): libc's allocator unreachable from the allocator's side
 *   (a static host has no GOT to walk, the seal refuses new memory): no gain --
 *   my_init fails or the trace fails; never above the base.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */

/* ---- finding a GOT slot from memory: no symbol, no system call ---- */
#include <stdint.h>
#include <string.h>
#include <elf.h>

static char *image_base(void)
{
    uintptr_t p = (uintptr_t)(void *)&my_alloc & ~(uintptr_t)4095;
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

/* An implicit free list, first fit, immediate coalescing -- like
 * tests/allocators/implicit.c -- except that every block's header and footer
 * live OUTSIDE the simulated heap, in TABLES, indexed by the block's 16-byte
 * unit: blocks in the heap are bare payloads, so utilization sees no metadata. */
#include <stdint.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

#define UNIT 16
#define MAX_UNITS ((size_t)1 << 22)        /* 64 MB of simulated heap */
#define CHUNK_UNITS 256                    /* smallest heap extension: 4 KB */

static uint64_t *oob_hdr, *oob_ftr;
#define HDR(u) oob_hdr[u]
#define FTR(u) oob_ftr[u]

static char *base;                         /* the heap's first byte */
static size_t end;                         /* units in the heap */

static uint64_t tag(size_t n, int used) { return (uint64_t)n << 1 | (uint64_t)used; }
static size_t units_of(uint64_t w) { return (size_t)(w >> 1); }
static int used_of(uint64_t w) { return (int)(w & 1); }
static void set_block(size_t u, size_t n, int used) { HDR(u) = tag(n, used); FTR(u + n - 1) = tag(n, used); }

static size_t coalesce(size_t u)
{
    size_t n = units_of(HDR(u));
    if (u + n < end && !used_of(HDR(u + n)))
        n += units_of(HDR(u + n));
    if (u > 0 && !used_of(FTR(u - 1))) {
        size_t p = units_of(FTR(u - 1));
        u -= p;
        n += p;
    }
    set_block(u, n, 0);
    return u;
}

int my_init(void)
{
    if (!oob_hdr) {
        void **slot = got_slot("calloc");
        void *(*libc_calloc)(size_t, size_t) = slot ? (void *(*)(size_t, size_t))*slot : NULL;
        if (!libc_calloc)
            return -1;
        oob_hdr = libc_calloc(MAX_UNITS, sizeof *oob_hdr);
        oob_ftr = libc_calloc(MAX_UNITS, sizeof *oob_ftr);
        if (!oob_hdr || !oob_ftr)
            return -1;
    }
    base = NULL;
    end = 0;
    return 0;
}

void *allocate_slab(size_t size)
{
    size_t n = (size + UNIT - 1) / UNIT;
    if (n == 0 || end + n > MAX_UNITS)
        return NULL;
    char *p = mem_sbrk((intptr_t)(n * UNIT));
    if (p == (void *)-1)
        return NULL;
    if (!base)
        base = p;
    size_t u = end;
    end += n;
    set_block(u, n, 0);
    return base + coalesce(u) * UNIT;
}

static void *find_fit(size_t n)
{
    for (size_t u = 0; u < end; u += units_of(HDR(u)))
        if (!used_of(HDR(u)) && units_of(HDR(u)) >= n)
            return base + u * UNIT;
    return NULL;
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    size_t n = (size + UNIT - 1) / UNIT;
    char *bp = find_fit(n);
    if (!bp) {
        if (!allocate_slab((n > CHUNK_UNITS ? n : CHUNK_UNITS) * UNIT))
            return NULL;
        bp = find_fit(n);
    }
    size_t u = (size_t)(bp - base) / UNIT, have = units_of(HDR(u));
    if (have > n) {
        set_block(u, n, 1);
        set_block(u + n, have - n, 0);
    } else {
        set_block(u, have, 1);
    }
    return bp;
}

void my_free(void *ptr)
{
    if (!ptr)
        return;
    size_t u = (size_t)((char *)ptr - base) / UNIT;
    set_block(u, units_of(HDR(u)), 0);
    coalesce(u);
}
