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
 *
 * Two backings.  Standalone (mem_init: tests, the host's debug and
 * replay-only modes): a private anonymous reservation.  Attached
 * (mem_attach: the sealed allocator host): the checker's shared memfd,
 * mapped at a fixed address; every growth is first granted by the checker
 * (the grant hook), which alone sizes the memfd, and zeroing is its job.
 * A timed replay's host attaches warm: the checked replay's heap is writable
 * from the start, so that growing costs no mprotect (as libc's warm heap
 * costs no system call), which is M3's one exception.
 */
#include "memlib.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *heap_lo;      /* first byte of the reserved region */
static char *brk_ptr;      /* one past the last granted byte */
static char *mapped_end;   /* end of the read/write pages */
static size_t page_size;
static mem_grant_fn *grant;   /* attached: asks the checker for more heap */
static int warm;              /* attached with pages already writable (timed replays) */

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

int mem_attach(void *base, mem_grant_fn *grant_hook, size_t writable)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    heap_lo = brk_ptr = base;
    mapped_end = heap_lo + writable;
    warm = writable > 0;
    grant = grant_hook;
    return 0;
}

void mem_reset(void)
{
    if (grant) {   /* attached: the checker zeroes the memfd; we only move the break */
        if (mapped_end > heap_lo && !warm)
            mprotect(heap_lo, (size_t)(mapped_end - heap_lo), PROT_NONE);
        brk_ptr = heap_lo;
        if (!warm)
            mapped_end = heap_lo;
        return;
    }
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
    if (grant && grant((size_t)(brk_ptr - heap_lo), (size_t)incr) != 0)
        return (void *)-1;
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
uintptr_t mem_display_base(void) { return (uintptr_t)heap_lo; }

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
