/*
 * memlib.h -- the simulated heap: the only memory an allocator may use.
 *
 * The heap is one region reserved once per process, MEM_MAX_HEAP bytes long:
 *
 *     mem_heap_lo()                 break                     lo + MEM_MAX_HEAP
 *     |<--- granted, read/write --->|<--- reserved, no access --------->|
 *
 * mem_sbrk(n) moves the break up by n bytes and returns the old break.
 * Pages wholly past the break are inaccessible, so touching them faults
 * (the driver reports "N bytes past the break"); the driver also checks the
 * slack between the break and the end of its page after every checked op.
 * The heap never shrinks.  Its size (mem_heapsize) is what peak utilization
 * is measured against.
 */
#ifndef SLABLAB_MEMLIB_H
#define SLABLAB_MEMLIB_H

#include <stddef.h>
#include <stdint.h>

/* Reserved address space for the heap: 2 GiB, enough for 100+ MB live. */
#define MEM_MAX_HEAP ((size_t)2 << 30)

/*
 * Grow the heap by incr bytes (incr >= 0) and return the old break, the
 * first new byte.  New bytes are zero the first time they are granted.
 * Returns (void *)-1, and changes nothing, when incr < 0 or the heap would
 * exceed MEM_MAX_HEAP.  The break starts 16-byte aligned and stays so when
 * every incr is a multiple of 16.
 */
void *mem_sbrk(intptr_t incr);

void *mem_heap_lo(void);     /* first byte of the heap */
void *mem_heap_hi(void);     /* last byte of the heap (lo - 1 when empty) */
size_t mem_heapsize(void);   /* bytes granted so far */
size_t mem_pagesize(void);   /* the system page size */

/* ---- used by the driver and tests, not by allocators ---- */

/* Reserve the region (once per process).  0 on success, -1 on failure. */
int mem_init(void);

/* The allocator host: use the MEM_MAX_HEAP bytes mapped at base (PROT_NONE
 * but for the first `writable` bytes), asking grant(old_size, incr) before
 * every growth (0: granted). */
typedef int mem_grant_fn(size_t old_size, size_t incr);
int mem_attach(void *base, mem_grant_fn *grant, size_t writable);

/* Empty the heap: break back to lo, every page inaccessible and zeroed. */
void mem_reset(void);

/* Empty the heap like mem_reset, but keep its pages mapped and writable (they
 * are zeroed here, with memset): the timing replays use it so that page faults
 * are not charged to the allocator -- libc's heap stays warm between replays
 * too.  Checked replays use mem_reset, whose inaccessible pages catch stray
 * writes. */
void mem_reset_warm(void);

/* The break (one past the last granted byte). */
static inline char *mem_brk(void) { return (char *)mem_heap_hi() + 1; }

/* Where the allocator sees the heap's first byte (mem_heap_lo() in the
 * allocator's process; the checker's view maps it elsewhere). */
uintptr_t mem_display_base(void);

/* True when [p, p + n) lies inside the granted heap. */
int mem_contains(const void *p, size_t n);

/* Bytes written into the slack between the break and the end of its page
 * since the last mem_sbrk/mem_reset: returns the offset past the break of the
 * first changed byte, or -1 when the slack is untouched. */
long mem_slack_written(void);

#endif /* SLABLAB_MEMLIB_H */
