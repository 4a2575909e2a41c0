/*
 * my_alloc.h -- the contract between an allocator and the slablab driver.
 *
 * Every allocator in this kit (the starter you fill in, the reference
 * solution, the buggy ones in tests/) implements exactly these functions, and
 * the driver (grader/driver/) calls nothing else.  Each function below says
 * what the DRIVER GUARANTEES before calling it and what the ALLOCATOR MUST
 * GUARANTEE in return.  The driver checks every "must" on every operation.
 *
 * Memory comes only from the simulated heap in memlib.h (mem_sbrk).  Calling
 * malloc, free, sbrk, mmap or any other system allocator is against the rules
 * and is rejected by the grader's static checks.
 *
 * Words used below:
 *   payload   the bytes [p, p + size) the caller may use, p = my_alloc(size).
 *   live      a payload that was returned and has not been freed since.
 *   heap      the bytes [mem_heap_lo(), mem_heap_hi()] granted by mem_sbrk.
 */
#ifndef SLABLAB_MY_ALLOC_H
#define SLABLAB_MY_ALLOC_H

#include <stddef.h>

/* Every payload address is a multiple of ALIGNMENT. */
#define ALIGNMENT 16

/*
 * my_init -- start over on a fresh, empty heap.
 *   Driver guarantees: called before every replay of a trace, after the
 *     simulated heap has been reset to size 0 (mem_heapsize() == 0).  A trace
 *     is replayed several times in one process, so my_init runs many times.
 *   Allocator must: reset ALL of its state (every global and static), since
 *     pointers left over from the previous replay point at memory that no
 *     longer belongs to the heap.  It may call mem_sbrk to lay out an initial
 *     heap.  Return 0 on success, -1 on failure.
 */
int my_init(void);

/*
 * my_alloc -- allocate a payload of at least `size` bytes.
 *   Driver guarantees: my_init has succeeded; 0 <= size <= 2^30.
 *   Allocator must: return p such that
 *     (1) p % ALIGNMENT == 0;
 *     (2) [p, p + size) lies inside the heap;
 *     (3) [p, p + size) overlaps no other live payload;
 *     (4) the payload's bytes are left untouched by the allocator until the
 *         caller frees (or reallocs) p -- the driver fills every payload with
 *         a pattern and verifies the whole payload later.
 *   Return NULL when size == 0, and only then or when the simulated heap is
 *   exhausted (mem_sbrk returned (void *)-1).
 */
void *my_alloc(size_t size);

/*
 * my_free -- release a payload.
 *   Driver guarantees: ptr is NULL or a live payload returned by my_alloc or
 *     my_realloc; it is never freed twice.
 *   Allocator must: treat NULL as a no-op; after the call, the payload's
 *     memory may be reused by later requests.
 */
void my_free(void *ptr);

/*
 * allocate_slab -- grow the heap by one slab of free memory.
 *   A slab is a run of heap obtained from mem_sbrk in one piece: one free
 *   block, or a set of same-size slots for small requests.  my_alloc calls
 *   allocate_slab when no free block fits; it is part of the contract
 *   because the course asks for it, and tests/student tests it by name
 *   (alloc/allocate_slab_contract).
 *   Driver guarantees: nothing; the driver never calls it.  Only your code and
 *     the student tests do, after my_init, with any size >= 1 up to 2^40.
 *   Allocator must, when it returns p != NULL:
 *     (S1) have grown the heap by AT LEAST `size` bytes, in one or more
 *          mem_sbrk calls (more is fine: rounding to 16, a minimum chunk,
 *          padding to align a slab, room for a slab's header);
 *     (S2) return p = where the new free memory starts, in your own block
 *          format (a block's first byte or its payload), with
 *          [p, p + size) inside the heap.  p may lie below the old break
 *          when the new memory was merged with a free block at the end of
 *          the heap (coalescing, as in handout.md section 1.8);
 *     (S3) leave the new memory FREE and reachable from your free lists (or
 *          your slab's free slots): right after the call, requests that
 *          fit in `size` bytes -- one large one, or many smaller ones, with
 *          the space for your headers -- are served without the heap
 *          growing again;
 *     (S4) change no live payload.
 *   Return NULL when mem_sbrk returns (void *)-1, leaving the heap size and
 *   every free list as they were (so the allocator keeps working).
 */
void *allocate_slab(size_t size);

/*
 * my_realloc -- OPTIONAL.  Resize a payload, keeping its contents.
 *   If an allocator does not define it, the driver falls back to
 *   my_alloc(size) + memcpy + my_free(ptr).
 *   Driver guarantees: ptr is a live payload, size >= 1.
 *   Allocator must: return a payload q meeting (1)-(4) of my_alloc whose
 *     first min(old size, size) bytes equal those of ptr; ptr is no longer
 *     live afterwards (unless q == ptr).  Return NULL only when the heap is
 *     exhausted, and then leave ptr live and unchanged.
 */
void *my_realloc(void *ptr, size_t size);

/*
 * my_check_heap -- OPTIONAL.  Your heap checker.
 *   Called by the driver after every operation when run with -V (or -c), and
 *   by the unit tests.  Walk the heap and the free lists and verify your
 *   allocator's invariants.
 *   Return 0 when every invariant holds.  Otherwise describe the FIRST broken
 *   invariant with heap_report() and return nonzero: the driver stops the
 *   trace there and prints your message with the operation that broke it.
 */
int my_check_heap(void);

/*
 * heap_report -- PROVIDED BY THE DRIVER (do not define it).
 *   printf-style; records one line of explanation for the driver's report,
 *   e.g. heap_report("I3: block %p header says %zu, footer says %zu", ...).
 *   Only the first message of a failed check is kept.
 */
void heap_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * my_heap_walk -- OPTIONAL.  Lets the driver draw your heap (grader --html).
 *   Call visit(ctx, &b) once per block, in address order, covering the heap
 *   from its first block to its last.  A block with payload == NULL is free.
 *   For a slot inside a slab of same-size blocks, set slab_class to the
 *   slot size (bytes) and report each slot as its own block; 0 otherwise.
 *   Bytes between blocks (prologue, padding) may be left unreported: the
 *   picture shows them as overhead.
 */
struct heap_block {
    const void *start;    /* first byte of the block, header included */
    size_t size;          /* bytes from start to the next block */
    const void *payload;  /* the payload handed out, or NULL when free */
    size_t slab_class;    /* slot size of the slab this block is in, or 0 */
};
typedef void heap_visit_fn(void *ctx, const struct heap_block *b);
void my_heap_walk(heap_visit_fn *visit, void *ctx);

#endif /* SLABLAB_MY_ALLOC_H */
