/*
 * heap_view.c -- the checker's side of the simulated heap.
 *
 * The heap is a memfd: the checker maps all of it here, the allocator host
 * maps it at HOST_HEAP_BASE (protocol.h).  This file implements memlib's
 * interface for the checker's replay code (replay.c), over the checker's
 * mapping, and keeps the one authoritative break.
 *
 * Invariants:
 *   V1  brk is what the checker granted, never what the host says.
 *   V2  The memfd's size is round_up(brk, page) during checked replays, so
 *       the host faults (SIGBUS) on any page it was not granted; the slack in
 *       the last page is zero unless the host wrote past the break.
 *   V3  mem_reset truncates the memfd to nothing: every byte reads zero again.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memlib.h"
#include "heap_view.h"
#include "protocol.h"

static int heap_fd = -1;
static char *view;          /* the checker's mapping of the whole memfd */
static size_t brk_off;      /* the break, as an offset */
static size_t file_size;    /* the memfd's size */
static size_t page_size;

static size_t round_up_page(size_t n) { return (n + page_size - 1) & ~(page_size - 1); }

int mem_init(void)
{
    if (view)
        return 0;
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    heap_fd = memfd_create("slablab-heap", MFD_CLOEXEC);
    if (heap_fd < 0)
        return -1;
    void *p = mmap(NULL, MEM_MAX_HEAP, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, heap_fd, 0);
    if (p == MAP_FAILED)
        return -1;
    view = p;
    return 0;
}

int heap_view_fd(void) { return heap_fd; }

/* Size the memfd to exactly size bytes (rounded up to a page). */
int heap_view_set_size(size_t size)
{
    size_t want = round_up_page(size);
    if (want == file_size)
        return 0;
    if (ftruncate(heap_fd, (off_t)want) != 0)
        return -1;
    file_size = want;
    return 0;
}

/* Zero [0, size) and keep the pages: between the rounds of a timed host. */
void heap_view_zero(size_t size)
{
    memset(view, 0, round_up_page(size) < file_size ? round_up_page(size) : file_size);
}

void mem_reset(void)
{
    heap_view_set_size(0);
    brk_off = 0;
}

void mem_reset_warm(void) { mem_reset(); }

/* The host's mem_sbrk(incr) with the heap at old bytes: grant it or not. */
int heap_view_grant(size_t old, size_t incr)
{
    if (old != brk_off || incr > MEM_MAX_HEAP - brk_off)
        return -1;
    if (heap_view_set_size(brk_off + incr) != 0)
        return -1;
    brk_off += incr;
    return 0;
}

void *mem_sbrk(intptr_t incr)
{
    size_t old = brk_off;
    return incr >= 0 && heap_view_grant(old, (size_t)incr) == 0 ? view + old : (void *)-1;
}

void *mem_heap_lo(void) { return view; }
void *mem_heap_hi(void) { return view + brk_off - 1; }
size_t mem_heapsize(void) { return brk_off; }
size_t mem_pagesize(void) { return page_size; }
uintptr_t mem_display_base(void) { return HOST_HEAP_BASE; }

int mem_contains(const void *p, size_t n)
{
    const char *c = p;
    return c >= view && c <= view + brk_off && n <= (size_t)(view + brk_off - c);
}

long mem_slack_written(void)
{
    static const char zeros[4096];
    const char *c = view + brk_off, *end = view + round_up_page(brk_off);
    size_t n = (size_t)(end - c);
    if (n <= sizeof zeros && memcmp(c, zeros, n) == 0)   /* the usual case, vectorised */
        return -1;
    for (; c < end; c++)
        if (*c)
            return (long)(c - (view + brk_off));
    return -1;
}

/* FNV-1a over 8-byte words of [0, size): the heap image a replay left. */
uint64_t heap_view_hash(size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t w;
        memcpy(&w, view + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    for (; i < size; i++)
        h = (h ^ (uint8_t)view[i]) * 0x100000001b3ull;
    return h;
}
