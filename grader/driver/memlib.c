/*
 * memlib.c -- the simulated heap (see include/memlib.h for the picture).
 *
 * Invariants:
 *   M1  heap_lo is page-aligned and never moves once mem_init succeeded.
 *   M2  heap_lo <= brk <= heap_lo + MEM_MAX_HEAP; brk only grows until reset.
 *   M3  [heap_lo, round_up(brk, page)) is read/write; the rest is PROT_NONE
 *       (after mem_reset_warm, pages up to the old mapped end stay writable
 *       until the next mem_reset: timing replays only, never checked ones).
 *   M4  Bytes in [brk, round_up(brk, page)) -- the slack -- are zero unless an
 *       allocator wrote past the break (mem_slack_written finds that).
 */
#include "memlib.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *heap_lo;      /* first byte of the reserved region */
static char *brk_ptr;      /* one past the last granted byte */
static char *mapped_end;   /* end of the read/write pages */
static size_t page_size;

static char *round_up_page(char *p)
{
    return (char *)(((uintptr_t)p + page_size - 1) & ~(uintptr_t)(page_size - 1));
}

int mem_init(void)
{
    if (heap_lo)
        return 0;
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, MEM_MAX_HEAP, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    heap_lo = brk_ptr = mapped_end = p;
    return 0;
}

void mem_reset(void)
{
    if (mapped_end > heap_lo) {
        /* MADV_DONTNEED on a private anonymous mapping gives back zero pages. */
        madvise(heap_lo, (size_t)(mapped_end - heap_lo), MADV_DONTNEED);
        mprotect(heap_lo, (size_t)(mapped_end - heap_lo), PROT_NONE);
    }
    brk_ptr = mapped_end = heap_lo;
}

void mem_reset_warm(void)
{
    memset(heap_lo, 0, (size_t)(mapped_end - heap_lo));
    brk_ptr = heap_lo;
}

void *mem_sbrk(intptr_t incr)
{
    if (!heap_lo || incr < 0 || (size_t)incr > MEM_MAX_HEAP - (size_t)(brk_ptr - heap_lo))
        return (void *)-1;
    char *old = brk_ptr;
    char *new_end = round_up_page(brk_ptr + incr);
    if (new_end > mapped_end) {
        if (mprotect(mapped_end, (size_t)(new_end - mapped_end), PROT_READ | PROT_WRITE) != 0)
            return (void *)-1;
        mapped_end = new_end;
    }
    brk_ptr += incr;
    return old;
}

void *mem_heap_lo(void) { return heap_lo; }
void *mem_heap_hi(void) { return brk_ptr - 1; }
size_t mem_heapsize(void) { return (size_t)(brk_ptr - heap_lo); }
size_t mem_pagesize(void) { return page_size; }

int mem_contains(const void *p, size_t n)
{
    const char *c = p;
    return c >= heap_lo && c <= brk_ptr && n <= (size_t)(brk_ptr - c);
}

long mem_slack_written(void)
{
    static const char zeros[4096];
    for (const char *c = brk_ptr; c < mapped_end; c += sizeof zeros) {
        size_t n = (size_t)(mapped_end - c) < sizeof zeros ? (size_t)(mapped_end - c) : sizeof zeros;
        if (memcmp(c, zeros, n) == 0)   /* fast path: memcmp is vectorised */
            continue;
        for (size_t i = 0; i < n; i++)
            if (c[i])
                return (long)(c + i - brk_ptr);
    }
    return -1;
}
