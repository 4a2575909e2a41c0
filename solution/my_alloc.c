/*
 * solution/my_alloc.c -- the reference allocator: segregated fits plus slabs.
 *
 * This is the allocator the kit's scores are calibrated against.  It is two
 * allocators sharing one heap:
 *
 *   - a BLOCK allocator for everything: variable-sized blocks with an 8-byte
 *     header, boundary-tag footers on free blocks only, immediate coalescing,
 *     and segregated free lists indexed by size class (a bitmap finds the
 *     next non-empty class in O(1));
 *   - a SLAB allocator for requests up to SLAB_MAX_SLOT bytes, one class per
 *     16 bytes: a slab is an allocated block of the block allocator spanning
 *     whole SLAB_PAGE-sized, SLAB_PAGE-aligned pages, cut into same-size
 *     slots with NO per-slot header.  A page map (one byte per page: 0, or
 *     "page i of a slab" as i + 1) tells slots from ordinary blocks and leads
 *     my_free from a slot to its slab's start.
 *
 * Why slabs: with 16-byte alignment, an 8-byte header turns a 32-byte request
 * into a 48-byte block (50% overhead); in a slab it costs 32 bytes plus its
 * share of a 24-byte slab header.  The ceiling the driver reports (every size
 * rounded up to 16, no overhead) is only reachable without per-object headers.
 * And a slot is taken or given back in ~20 instructions, with no neighbour
 * to look at: mid-sized requests (97..640 bytes) on slabs made python,
 * clang-format and jq 10-25% faster, and lua (608-byte tables) 50%.  A class
 * of slots above SLAB_EAGER_SLOT bytes earns its slabs only after
 * SLAB_WARMUP requests (served by blocks until then): its slabs are
 * kilobytes, too much for a size asked for a few times.
 *
 * Overheads scale with the heap (measured on programs outside the public
 * set, README "solution"):
 *   - a class takes its first slab only once the heap is SLAB_HEAP_SHARE
 *     times that slab's size; until then its requests are blocks (a few
 *     bytes more each, where a half-empty page per class would be a third
 *     of a 12 KB heap, dc's);
 *   - a class's first slab holds only SLAB_MIN_SLOTS slots (one 512-byte
 *     page for small ones) and each further slab of the class is twice the
 *     one before, up to SLAB_MAX_BYTES: a class's unused slots are about
 *     half its slab space at most, and a large class pays a slab header per
 *     hundreds of slots;
 *   - an empty slab goes back to the block allocator (but its class's last
 *     one with room), and so does the heap's free tail (merged, never
 *     abandoned);
 *   - the page map starts at MAP_MIN_PAGES bytes and doubles with the heap;
 *     the control block's 64 list sentinels are 8 bytes each (32-bit
 *     offsets), 0.9 KB in all.
 *
 * THE HEAP, low to high address
 *
 *   lo                                                                   brk
 *   | control | block | block | ... | slab | ... | block | epilogue |
 *   |  block  |  (first block starts at lo + FIRST_BLOCK, 8 mod 16)   8 bytes|
 *
 *   control block: struct heap_control -- the sentinel node of every free
 *     list and the head of every slab list, kept in the heap itself so that
 *     the writable globals stay tiny (the grader caps them).
 *   epilogue: a lone header of size 0 marked allocated; it ends every walk
 *     and carries the PREV_ALLOC bit of the last block.
 *
 * A BLOCK (start address is 8 mod 16, so the payload is 16-aligned)
 *
 *   allocated:                           free:
 *   +----------------------------+       +----------------------------+
 *   | header: size | flags       |  8    | header: size | flags       |  8
 *   +----------------------------+ <- p  +----------------------------+
 *   | payload ...                |       | next free | prev free      |  4+4
 *   |                            |       | (offsets from lo)          |
 *   |                            |       | ... unused ...             |
 *   |                            |       +----------------------------+
 *   |                            |       | footer: copy of header     |  8
 *   +----------------------------+       +----------------------------+
 *   size = whole block, a multiple of 16, >= MIN_BLOCK (32).
 *   flags (low bits of the size): ALLOC, PREV_ALLOC (the block just below is
 *   allocated, so allocated blocks need no footer), SLAB (this allocated
 *   block is a slab).
 *
 * A SLAB (an allocated block of whole pages: slab_bytes_for(k, n) when it was
 * the n-th slab of its class k)
 *
 *   base - 8      base (multiple of SLAB_PAGE from lo)        base+bytes-8
 *   | header | struct slab (16) | slot | slot | slot | ... | slot | slack |
 *   Free slots hold, in their first 2 bytes, the offset (from base) of the
 *   next free slot; 0 ends the chain.
 *
 * INVARIANTS -- my_check_heap verifies exactly these and names the broken one
 *   I1 Tiling: blocks tile [first block, epilogue) exactly; every block starts
 *      at 8 mod 16 inside the heap, its size is a multiple of 16 and at least
 *      MIN_BLOCK; the epilogue is the last 8 bytes of the heap.
 *   I2 Boundary tags: a free block's footer equals its header.
 *   I3 Prev-alloc bit: every block's (and the epilogue's) PREV_ALLOC bit says
 *      whether the block just below it is allocated (the first block: yes).
 *   I4 Coalescing: no two free blocks are adjacent.
 *   I5 Free lists: list c (circular, through its sentinel) holds only free,
 *      non-slab blocks whose size maps to class c, doubly linked
 *      consistently, and as many of them as the heap has free blocks of
 *      class c; bit c of the non-empty bitmap is set iff list c is non-empty.
 *   I6 Slabs and the page map: a slab of class k is an allocated block of
 *      whole pages, from its class's first slab size to SLAB_MAX_PAGES,
 *      whose payload starts on a SLAB_PAGE boundary; its pages are marked
 *      1, 2, ... in the page map; no other page is marked; the page map
 *      itself is the payload of an allocated block.
 *   I7 Slab slots: a slab's slot size is a slab class, its slot count fits
 *      the slab, and its free-slot chain lies on slot boundaries, has no
 *      cycle and is exactly (slots - used) long.
 *   I8 Slab lists: slab list k holds exactly the slabs of class k that have a
 *      free slot, doubly linked consistently; a class has slabs only once it
 *      has warmed up; the control block counts each class's slabs exactly
 *      (modulo 2^16).
 *
 * Placement (measured, see README "solution"): exact-size classes below
 * LINEAR_LIMIT take the list head; approximate classes are searched for the
 * best fit among their first FIT_SEARCH_LIMIT members.  Freed blocks go to
 * the front of their list (LIFO).  The heap grows only by what a request is
 * missing: a free block at the heap's tail is extended, never abandoned.
 */
#include "my_alloc.h"
#include "memlib.h"

#include <stdint.h>
#include <string.h>

/* ---- tunable constants ---------------------------------------------------- */

#define WORD            8u          /* header / footer size */
#define MIN_BLOCK       32u         /* header + two links + footer, rounded to 16 */
#ifndef SLAB_PAGE
#define SLAB_PAGE       512u        /* page-map unit: slabs start on one, span whole ones */
#endif
#ifndef SLAB_MAX_SLOT
#define SLAB_MAX_SLOT   640u        /* largest slot size; larger requests use blocks */
#endif
#ifndef SLAB_EAGER_SLOT
#define SLAB_EAGER_SLOT 64u         /* classes up to this slot size need no warm-up */
#endif
#ifndef SLAB_WARMUP
#define SLAB_WARMUP     384u        /* requests a larger class serves with blocks first */
#endif
#ifndef SLAB_MIN_SLOTS
#define SLAB_MIN_SLOTS  3u          /* a class's first slab spans enough pages for this many slots */
#endif
#ifndef SLAB_MAX_BYTES
#define SLAB_MAX_BYTES  8192u       /* slabs grow (doubling) up to this size */
#endif
#define SLAB_GROWTH_MAX 8u          /* slab n of a class is 2^min(n, this) times its first */
#ifndef SLAB_HEAP_SHARE
#define SLAB_HEAP_SHARE 32u         /* a class's first slab waits for a heap this many times its size */
#endif
#define SLAB_CLASSES    (SLAB_MAX_SLOT / ALIGNMENT)  /* slot sizes 16, 32, ... (a bit each in a word) */
#ifndef MAP_MIN_PAGES
#define MAP_MIN_PAGES   64u         /* the page map's first size, in pages */
#endif
#define NUM_CLASSES     64u         /* block size classes, one bitmap word */
#define LINEAR_LIMIT    512u        /* below: one class per 16 bytes */
#ifndef FIT_SEARCH_LIMIT
#define FIT_SEARCH_LIMIT 4          /* list members examined for a best fit */
#endif
#ifndef SLAB_SEARCH_LIMIT
#define SLAB_SEARCH_LIMIT 8         /* list members examined for room for a slab */
#endif

/* Header flag bits (block sizes are multiples of 16, so the low 4 bits are free). */
#define ALLOC       1u
#define PREV_ALLOC  2u
#define SLAB        4u
#define FLAG_MASK   15u

/* For the rare paths (a new slab, an empty slab, growing the page map): kept
 * out of line so that the hot paths that may call them stay small and need
 * no callee-saved registers -- inlined, they cost every my_alloc six pushes
 * and six pops. */
#define RARELY_CALLED __attribute__((noinline, cold))
/* For the free-list primitives, called from every block path: gcc would
 * otherwise keep them out of line (measured 1-3% of the replay cost). */
#define ALWAYS_INLINE __attribute__((always_inline)) inline


/* ---- the control block, at the very start of the heap -------------------- */

/* A free block's place in its class list, just past its header.  Lists are
 * circular, with one sentinel node per class in the control block, so that
 * linking and unlinking never test for "no neighbour" (each such test is a
 * branch the CPU mispredicts whenever list lengths vary).  Links are 32-bit
 * offsets from lo, not pointers: that halves the sentinels, the largest
 * fixed cost of the heap (64 * 8 bytes instead of 64 * 16, which is 4% of a
 * 12 KB heap), for one addition per link followed. */
struct free_node {
    uint32_t next, prev;     /* offsets from lo of the neighbours (a sentinel's or a block's node) */
};

struct heap_control {
    struct free_node free_list[NUM_CLASSES];  /* sentinel of class c's list */
    uint32_t slab_head[SLAB_CLASSES];   /* offset of the first slab of class k with a free slot */
    uint32_t cold_requests[SLAB_CLASSES]; /* requests of class k served by blocks so far */
    /* Slabs of class k in the heap, modulo 2^16 (it sizes the next slab).
     * 16 bits keep the control block, the fixed cost of every heap, 80 bytes
     * smaller; a class passes 65,535 slabs only with millions of live slots
     * (e.g. 11 million of 48 bytes on 8 KB slabs), and then its next few
     * slabs start small again, which costs nothing but their headers. */
    uint16_t slabs[SLAB_CLASSES];
    uint64_t warm;                      /* bit k: class k has warmed up (may have slabs) */
};

/* The first block starts just past the control block, at 8 mod 16. */
#define FIRST_BLOCK ((sizeof(struct heap_control) + 15u) / 16u * 16u + WORD)

/* The header of a slab, at its SLAB_BYTES-aligned base (16 bytes).  `used`
 * and `free_head`, which every slot taken or given back updates, are kept
 * apart: adjacent, gcc merges their two stores into one, at the price of
 * shifting and masking (measured 1-2% of the replay cost). */
struct slab {
    uint32_t next, prev;     /* offsets of neighbours in the class's slab list (0: none) */
    uint16_t used;           /* live slots */
    uint16_t slot_size;      /* bytes per slot */
    uint16_t nslots;         /* slots in this slab */
    uint16_t free_head;      /* offset from the base of the first free slot (0: none) */
};
#define SLAB_FIRST_SLOT ((uint32_t)sizeof(struct slab))
/* A slab block spans whole pages: it starts WORD bytes before a page and
 * ends WORD bytes before one.  Its slots live in [base + SLAB_FIRST_SLOT,
 * base + pages * SLAB_PAGE - WORD). */
#define SLAB_OVERHEAD   (WORD + SLAB_FIRST_SLOT)
/* The fewest pages that hold SLAB_MIN_SLOTS slots of `slot` bytes (a macro,
 * so that it also sizes arrays): a class's first slab.  Later slabs are
 * larger, up to SLAB_MAX_PAGES. */
#define SLAB_MIN_PAGES_FOR(slot) \
    ((SLAB_MIN_SLOTS * (slot) + SLAB_OVERHEAD + SLAB_PAGE - 1) / SLAB_PAGE)
#define SLAB_MAX_PAGES  (SLAB_MAX_BYTES / SLAB_PAGE)
/* The most slots any slab has (an upper bound: all slot bytes in 16s). */
#define SLAB_MAX_SLOTS  ((SLAB_MAX_PAGES * SLAB_PAGE - SLAB_OVERHEAD) / ALIGNMENT)
/* A page-map byte numbers a slab's pages, and a free slot links to the next
 * by a 16-bit offset from the slab's base. */
_Static_assert(SLAB_MAX_PAGES <= 255, "a slab's pages must be numbered by a page-map byte");
_Static_assert(SLAB_MAX_PAGES * SLAB_PAGE <= 65536, "slot offsets must fit in 16 bits");
_Static_assert(SLAB_MIN_PAGES_FOR(SLAB_MAX_SLOT) <= SLAB_MAX_PAGES, "every class's first slab must fit the largest");
_Static_assert(SLAB_CLASSES <= 64, "the warm classes are bits of one word");
_Static_assert(MEM_MAX_HEAP <= UINT32_MAX, "free-list links and slab-list links are 32-bit offsets");

/* ---- all writable global state: one small struct ------------------------ */

static struct {
    char *lo;                /* mem_heap_lo(): offsets below are relative to it */
    struct heap_control *ctl;
    uint64_t nonempty;       /* bit c set iff free list c is non-empty */
    uint8_t *slab_map;       /* byte i: 0, or 1 + how many pages page i is past its slab's first */
    size_t slab_map_pages;   /* pages the map covers (at least MAP_MIN_PAGES) */
} A;

/* ---- small helpers: offsets, sizes, headers ------------------------------ */

static inline size_t round_up16(size_t n) { return (n + 15u) & ~(size_t)15u; }

/* Slab lists link by offset (from lo), to keep the slab header at 16 bytes;
 * 0 means "none" since offset 0 is the control block, never a slab. */
static inline char *at(uint32_t off) { return off ? A.lo + off : NULL; }
static inline uint32_t offset_of(const void *p) { return p ? (uint32_t)((const char *)p - A.lo) : 0; }

static inline uint64_t header(const char *b) { return *(const uint64_t *)b; }
static inline size_t block_size(const char *b) { return (size_t)(header(b) & ~(uint64_t)FLAG_MASK); }
static inline int is_alloc(const char *b) { return (header(b) & ALLOC) != 0; }
static inline int is_prev_alloc(const char *b) { return (header(b) & PREV_ALLOC) != 0; }
static inline int is_slab_block(const char *b) { return (header(b) & SLAB) != 0; }
static inline void set_header(char *b, size_t size, unsigned flags) { *(uint64_t *)b = size | flags; }
static inline char *footer(char *b) { return b + block_size(b) - WORD; }
static inline void copy_header_to_footer(char *b) { *(uint64_t *)footer(b) = header(b); }
static inline char *next_block(char *b) { return b + block_size(b); }
/* Only meaningful when the block below b is free (then it has a footer). */
static inline char *prev_free_block(char *b) { return b - (*(uint64_t *)(b - WORD) & ~(uint64_t)FLAG_MASK); }
static inline char *payload_of(char *b) { return b + WORD; }
static inline char *block_of(void *p) { return (char *)p - WORD; }
static inline struct free_node *node_of(char *b) { return (struct free_node *)(b + WORD); }
static inline char *block_of_node(struct free_node *n) { return (char *)n - WORD; }

static inline void set_prev_alloc_bit(char *b, int on)
{
    if (on)
        *(uint64_t *)b |= PREV_ALLOC;
    else
        *(uint64_t *)b &= ~(uint64_t)PREV_ALLOC;
}

static inline char *first_block(void) { return A.lo + FIRST_BLOCK; }
static inline char *epilogue(void) { return (char *)mem_heap_hi() + 1 - WORD; }

/* Block size for a payload of `size` bytes: header + payload, rounded to 16. */
static inline size_t block_size_for(size_t size)
{
    size_t b = round_up16(size + WORD);
    return b < MIN_BLOCK ? MIN_BLOCK : b;
}

/* ---- size classes --------------------------------------------------------- */

/*
 * Block size -> free-list class.  Below LINEAR_LIMIT every 16-byte size has
 * its own class (class = size / 16, so 32 -> 2 ... 496 -> 31; classes 0 and 1
 * are never used).  From LINEAR_LIMIT on, each power of two [2^f, 2^(f+1)) is
 * cut into 4 equal classes (TLSF's two-level scheme):
 *     class = 32 + 4 * (f - 9) + (the 2 bits below the leading one)
 * e.g. 512 -> 32, 640 -> 33, 768 -> 34, 896 -> 35, 1024 -> 36, 1280 -> 37,
 * 65536 -> 60.  Everything from 7 * 2^14 = 114688 up lands in class 63.
 */
static unsigned size_class(size_t size)
{
    if (size < LINEAR_LIMIT)
        return (unsigned)(size >> 4);
    unsigned f = 63u - (unsigned)__builtin_clzll((unsigned long long)size);
    unsigned sub = (unsigned)(size >> (f - 2)) & 3u;
    unsigned c = 32u + 4u * (f - 9u) + sub;
    return c < NUM_CLASSES ? c : NUM_CLASSES - 1;
}

/* Request size -> slab class k (slot size 16 * (k + 1)), for size <= SLAB_MAX_SLOT. */
static inline unsigned slab_class(size_t size) { return (unsigned)((size - 1) / ALIGNMENT); }
static inline size_t slot_size_of_class(unsigned k) { return (size_t)(k + 1) * ALIGNMENT; }
static inline size_t slot_bytes_in(size_t slab_bytes) { return slab_bytes - SLAB_OVERHEAD; }
/* Bytes of a class's next slab (whole pages, as a block) when it has `n`
 * slabs already.  Slabs grow with their class: the first spans the fewest
 * pages that hold SLAB_MIN_SLOTS slots, each further one twice as many
 * pages as the one before, up to SLAB_MAX_PAGES; so a small heap is not
 * spent on slots it never fills (a class's slabs with room are at most
 * about half its slab space), and a large one pays a slab header per
 * hundreds of slots, not per dozen.  The first slab is exactly the fewest
 * pages (a larger one with a smaller idle tail costs a small heap more in
 * empty slots than it saves); a later one is, among its size and up to
 * `fewest` pages more, the one that leaves the smallest share idle after
 * the last slot (e.g. the second slab of 208-byte slots: four pages leave
 * 152 of 2048 bytes idle, five 40 of 2560: five it is). */
static size_t slab_bytes_for(unsigned k, unsigned n)
{
    size_t slot = slot_size_of_class(k), fewest = SLAB_MIN_PAGES_FOR(slot);
    size_t pages = fewest << (n < SLAB_GROWTH_MAX ? n : SLAB_GROWTH_MAX);
    if (pages > SLAB_MAX_PAGES)
        pages = SLAB_MAX_PAGES;
    size_t best = pages * SLAB_PAGE, last = n ? pages + fewest : pages;
    if (last > SLAB_MAX_PAGES)
        last = SLAB_MAX_PAGES;
    for (size_t bytes = best; bytes <= last * SLAB_PAGE; bytes += SLAB_PAGE)
        if (slot_bytes_in(bytes) % slot * best < slot_bytes_in(best) % slot * bytes)
            best = bytes;
    return best;
}
static inline size_t slab_bytes_of_class(unsigned k) { return slab_bytes_for(k, A.ctl->slabs[k]); }
/* Requests a class serves with blocks before its first slab: a slab of
 * mid-sized slots is kilobytes, a waste for a size a program asks for a few
 * times; small classes need no warm-up (only a heap large enough, see
 * class_is_cold). */
static inline uint32_t slab_warmup_of_class(unsigned k)
{
    return slot_size_of_class(k) <= SLAB_EAGER_SLOT ? 0 : SLAB_WARMUP;
}

/* Which requests go to slabs: 1..SLAB_MAX_SLOT bytes.  Size 0 wraps around to
 * SIZE_MAX, so one comparison also keeps it out of the slab fast path. */
static inline int uses_slab(size_t size) { return size - 1 < SLAB_MAX_SLOT; }

/* ---- free lists ------------------------------------------------------------ */

static inline struct free_node *sentinel(unsigned c) { return &A.ctl->free_list[c]; }
static inline unsigned class_of_sentinel(const struct free_node *n) { return (unsigned)(n - A.ctl->free_list); }
/* Links are offsets from lo (the control block, hence the sentinels, are there too). */
static inline struct free_node *node_at(uint32_t off) { return (struct free_node *)(A.lo + off); }
static inline uint32_t link_to(const struct free_node *n) { return (uint32_t)((const char *)n - A.lo); }
static inline struct free_node *next_node(const struct free_node *n) { return node_at(n->next); }
static inline struct free_node *prev_node(const struct free_node *n) { return node_at(n->prev); }
/* The first block of list c (the sentinel's block when the list is empty). */
static inline char *list_first(unsigned c) { return block_of_node(next_node(sentinel(c))); }

/* LIFO: a freed block goes to the front of its list.  The caller passes the
 * size it has just written into b's header, so that it is not read back. */
static ALWAYS_INLINE void insert_free(char *b, size_t size)
{
    unsigned c = size_class(size);
    struct free_node *head = sentinel(c), *n = node_of(b);
    uint32_t first = head->next, to_n = link_to(n);
    n->prev = link_to(head);
    node_at(first)->prev = to_n;
    n->next = first;
    head->next = to_n;
    A.nonempty |= (uint64_t)1 << c;
}

static ALWAYS_INLINE void remove_free(char *b)
{
    struct free_node *n = node_of(b);
    uint32_t next = n->next, prev = n->prev;
    node_at(prev)->next = next;
    node_at(next)->prev = prev;
    /* Both neighbours are the same node only when it is the sentinel, alone. */
    if (next == prev)
        A.nonempty &= ~((uint64_t)1 << class_of_sentinel(node_at(next)));
}

/* Make b (not in any list) a free block of `size` bytes, merge it with free
 * neighbours, put the result in its list and return it. */
static char *free_and_coalesce(char *b, size_t size)
{
    int prev_alloc = is_prev_alloc(b);
    char *next = b + size;
    if (!is_alloc(next)) {
        remove_free(next);
        size += block_size(next);
    }
    if (!prev_alloc) {
        char *prev = prev_free_block(b);
        remove_free(prev);
        size += block_size(prev);
        b = prev;
    }
    /* Below a free block there is always an allocated one (I4), hence PREV_ALLOC. */
    set_header(b, size, PREV_ALLOC);
    copy_header_to_footer(b);
    set_prev_alloc_bit(b + size, 0);
    insert_free(b, size);
    return b;
}

/* ---- growing the heap -------------------------------------------------------- */

/*
 * allocate_slab -- grow the heap by at least `size` bytes (rounded up to 16)
 * as free memory.  The new run starts where the epilogue was; it is merged
 * with the heap's last block when that block is free, so the free tail is
 * extended rather than abandoned.  Returns that (possibly merged) free block,
 * already in its free list, or NULL when mem_sbrk fails.
 */
void *allocate_slab(size_t size)
{
    char *old_epilogue = epilogue();
    size = round_up16(size);
    /* A run smaller than a block can only exist merged into a free tail. */
    int tail_is_free = !is_prev_alloc(old_epilogue);
    if (size < MIN_BLOCK && !(tail_is_free && size > 0))
        size = MIN_BLOCK;
    if (mem_sbrk((intptr_t)size) == (void *)-1)
        return NULL;
    /* The old epilogue header becomes the new block's header. */
    char *b = old_epilogue;
    set_header(b, size, is_prev_alloc(old_epilogue) ? PREV_ALLOC : 0);
    set_header(b + size, 0, ALLOC);
    return free_and_coalesce(b, size);
}

/* The free block at the heap's tail, or NULL when the last block is allocated. */
static char *free_tail(void)
{
    char *e = epilogue();
    return is_prev_alloc(e) ? NULL : prev_free_block(e);
}

/* ---- the block allocator ------------------------------------------------------ */

/* Best fit among the first `limit` members of list c, or NULL. */
static char *best_fit_in_list(unsigned c, size_t asize, size_t limit)
{
    char *best = NULL;
    size_t best_size = SIZE_MAX;
    size_t seen = 0;
    for (struct free_node *n = next_node(sentinel(c)); n != sentinel(c) && seen < limit; n = next_node(n), seen++) {
        char *b = block_of_node(n);
        size_t s = block_size(b);
        if (s >= asize && s < best_size) {
            best = b;
            best_size = s;
            if (s == asize)
                break;
        }
    }
    return best;
}

/* A free block of at least asize bytes, still in its list, or NULL. */
static char *find_fit(size_t asize)
{
    unsigned c = size_class(asize);
    uint64_t candidates = A.nonempty & (~(uint64_t)0 << c);
    while (candidates) {
        unsigned k = (unsigned)__builtin_ctzll(candidates);
        /* An exact class k >= size_class(asize) holds only blocks of
         * 16 * k >= asize bytes: its first member fits. */
        if (k < LINEAR_LIMIT / 16)
            return list_first(k);
        /* The last class has no upper bound (112 KiB .. the whole heap):
         * a bounded search there could miss a block many times the
         * request's size and grow the heap instead (synth-large: a 370 KiB
         * request grew the heap past a free 20 MiB block).  Its lists are
         * short: it holds only the largest free blocks. */
        char *b = best_fit_in_list(k, asize, k == NUM_CLASSES - 1 ? SIZE_MAX : FIT_SEARCH_LIMIT);
        if (b)
            return b;
        candidates &= candidates - 1;
    }
    return NULL;
}

/* Allocate asize bytes at the start of free block b (already out of its
 * list), returning any remainder of at least MIN_BLOCK to the free lists.
 * Returns b (so that callers can end with this call).  On a split, the block
 * after b already knows its neighbour below is free, so it is left alone;
 * realloc, whose block was allocated, fixes it (place_in_resized_block). */
static char *place(char *b, size_t asize)
{
    size_t size = block_size(b);
    unsigned prev_bit = header(b) & PREV_ALLOC;
    if (size - asize >= MIN_BLOCK) {
        set_header(b, asize, ALLOC | prev_bit);
        char *rest = b + asize;
        set_header(rest, size - asize, PREV_ALLOC);
        copy_header_to_footer(rest);
        insert_free(rest, size - asize);
    } else {
        set_header(b, size, ALLOC | prev_bit);
        set_prev_alloc_bit(b + size, 1);
    }
    return b;
}

/* block_alloc when no list offered a fit: use the free tail (the search is
 * bounded, so it may even be big enough already), else grow the heap by
 * exactly what the tail lacks and hand the grown block out directly.  A
 * program whose heap only grows takes this path for most requests (jq: 3 in
 * 4), so it skips allocate_slab's detour through the free lists (merge,
 * insert, then remove again): measured 15% of jq's replay cost. */
RARELY_CALLED static char *block_alloc_at_the_tail(size_t asize)
{
    char *tail = free_tail();
    size_t have = tail ? block_size(tail) : 0;
    if (have >= asize) {
        remove_free(tail);
        return place(tail, asize);
    }
    char *b = tail ? tail : epilogue();
    if (mem_sbrk((intptr_t)(asize - have)) == (void *)-1)
        return NULL;
    if (tail)
        remove_free(tail);
    /* Below the tail block, or below the old epilogue when the last block
     * was allocated, there is an allocated block (I3, I4). */
    set_header(b, asize, ALLOC | PREV_ALLOC);
    set_header(b + asize, 0, ALLOC | PREV_ALLOC);
    return b;
}

/* An allocated block of at least asize bytes, or NULL when the heap is full.
 * Both ways out are tail calls, so the fast path saves no registers. */
static char *block_alloc(size_t asize)
{
    char *b = find_fit(asize);
    if (!b)
        return block_alloc_at_the_tail(asize);
    remove_free(b);
    return place(b, asize);
}

static void block_free(char *b)
{
    free_and_coalesce(b, block_size(b));
}

/* my_alloc for the requests slabs do not take (size 0 included). */
static void *block_request(size_t size)
{
    if (size == 0)
        return NULL;
    char *b = block_alloc(block_size_for(size));
    return b ? payload_of(b) : NULL;
}

/* ---- the page map: which SLAB_PAGE pages hold a slab ---------------------------- */

static inline size_t page_index(const void *p) { return (size_t)((const char *)p - A.lo) / SLAB_PAGE; }
static inline char *page_start(size_t page) { return A.lo + page * SLAB_PAGE; }

/* A byte per page rather than a bit: every my_free reads the map, and a byte
 * needs no shifting and masking (measured 2-5% of the replay cost).  Page i
 * of a slab (from 0) is marked i + 1, so the byte that says "slab" also says
 * where the slab starts. */
static inline unsigned map_entry(size_t page) { return page < A.slab_map_pages ? A.slab_map[page] : 0; }
static inline int page_is_slab(size_t page) { return map_entry(page) != 0; }
static inline size_t slab_first_page(size_t page) { return page - (A.slab_map[page] - 1u); }

/* Mark (on) or clear the `pages` pages of a slab starting at page `first`. */
static void mark_slab_pages(size_t first, size_t pages, int on)
{
    for (size_t i = 0; i < pages; i++)
        A.slab_map[first + i] = on ? (uint8_t)(i + 1) : 0;
}

/* Is p (a payload handed out by us) a slot inside a slab? */
static inline int in_slab(const void *p) { return page_is_slab(page_index(p)); }

/* Make the page map cover page `page`: move it to a block twice as large
 * (the old one becomes a free block, reused like any other).  It starts at
 * MAP_MIN_PAGES (64 bytes for a 32 KiB heap): a small heap pays a small map,
 * and a growing one moves it log2(heap / 32 KiB) times. */
RARELY_CALLED static int map_cover(size_t page)
{
    if (page < A.slab_map_pages)
        return 0;
    size_t pages = A.slab_map_pages * 2;
    if (pages <= page)
        pages = page + 1;
    if (pages < MAP_MIN_PAGES)
        pages = MAP_MIN_PAGES;
    char *b = block_alloc(block_size_for(pages));
    if (!b)
        return -1;
    uint8_t *map = (uint8_t *)payload_of(b);
    memset(map, 0, pages);
    if (A.slab_map) {
        memcpy(map, A.slab_map, A.slab_map_pages);
        block_free(block_of(A.slab_map));
    }
    A.slab_map = map;
    A.slab_map_pages = pages;
    return 0;
}

/* ---- the slab allocator --------------------------------------------------------- */

static inline struct slab *slab_of(const void *slot)
{
    return (struct slab *)page_start(slab_first_page(page_index(slot)));
}
static inline char *slab_block(struct slab *s) { return (char *)s - WORD; }
static inline uint16_t *slot_link(char *slot) { return (uint16_t *)slot; }

RARELY_CALLED static void slab_list_push(unsigned k, struct slab *s)
{
    struct slab *head = (struct slab *)at(A.ctl->slab_head[k]);
    s->next = offset_of(head);
    s->prev = 0;
    if (head)
        head->prev = offset_of(s);
    A.ctl->slab_head[k] = offset_of(s);
}

RARELY_CALLED static void slab_list_remove(unsigned k, struct slab *s)
{
    struct slab *next = (struct slab *)at(s->next), *prev = (struct slab *)at(s->prev);
    if (prev)
        prev->next = offset_of(next);
    else
        A.ctl->slab_head[k] = offset_of(next);
    if (next)
        next->prev = offset_of(prev);
}

/* Bytes from a block starting at b to the first spot where a slab block
 * could start: its payload on a SLAB_PAGE boundary, and what is left before
 * it either nothing or room for a free block. */
static size_t slab_gap(const char *b)
{
    size_t payload = (size_t)(b + WORD - A.lo);
    size_t gap = (SLAB_PAGE - payload % SLAB_PAGE) % SLAB_PAGE;
    return gap != 0 && gap < MIN_BLOCK ? gap + SLAB_PAGE : gap;
}

/* Where in free block b a slab block of `bytes` could start (its payload on
 * a SLAB_PAGE boundary, leaving before it either nothing or a whole free
 * block), or NULL when it does not fit with nothing or a whole block after. */
static char *slab_spot_in(char *b, size_t bytes)
{
    size_t size = block_size(b);
    size_t gap = slab_gap(b);
    if (gap + bytes > size)
        return NULL;
    size_t after = size - gap - bytes;
    if (after != 0 && after < MIN_BLOCK)
        return NULL;
    return b + gap;
}

/* A free block (still in its list, or the free tail) with room for a slab
 * of `bytes`, and the spot; NULL when only growing the heap would make room. */
static char *find_slab_room(size_t bytes, char **spot)
{
    uint64_t candidates = A.nonempty & (~(uint64_t)0 << size_class(bytes));
    while (candidates) {
        unsigned c = (unsigned)__builtin_ctzll(candidates);
        int seen = 0;
        for (struct free_node *n = next_node(sentinel(c)); n != sentinel(c) && seen < SLAB_SEARCH_LIMIT; n = next_node(n), seen++)
            if ((*spot = slab_spot_in(block_of_node(n), bytes)) != NULL)
                return block_of_node(n);
        candidates &= candidates - 1;
    }
    char *tail = free_tail();
    if (tail && (*spot = slab_spot_in(tail, bytes)) != NULL)
        return tail;
    return NULL;
}

/* Grow the heap so that its free tail ends exactly where a slab of `bytes`
 * would; returns the (merged) free tail and the spot, or NULL. */
static char *grow_for_slab(size_t bytes, char **spot)
{
    char *tail = free_tail();
    char *start = tail ? tail : epilogue();
    size_t have = tail ? block_size(tail) : 0;
    size_t gap = slab_gap(start);
    size_t need = gap + bytes;
    /* have > need only when the rest would be 16 bytes, too small for a block. */
    char *b = allocate_slab(need > have ? need - have : MIN_BLOCK - (have - need));
    if (!b)
        return NULL;
    *spot = b + gap;
    return b;
}

/* Cut free block b into [free gap] [slab block of `bytes` at spot] [free rest]. */
static void carve_slab_block(char *b, char *spot, size_t bytes)
{
    remove_free(b);
    size_t size = block_size(b);
    unsigned prev_bit = header(b) & PREV_ALLOC;
    if (spot > b) {
        set_header(b, (size_t)(spot - b), prev_bit);
        copy_header_to_footer(b);
        insert_free(b, (size_t)(spot - b));
        prev_bit = 0;
    }
    set_header(spot, bytes, ALLOC | SLAB | prev_bit);
    char *rest = spot + bytes, *end = b + size;
    if (rest < end) {
        set_header(rest, (size_t)(end - rest), PREV_ALLOC);
        copy_header_to_footer(rest);
        insert_free(rest, (size_t)(end - rest));
    } else {
        set_prev_alloc_bit(rest, 1);
    }
}

/* A new slab of class k and `bytes` (slab_bytes_of_class(k)), carved from
 * free block b (in its list) at spot, put on the class's list; NULL when
 * the page map cannot grow. */
static struct slab *new_slab(unsigned k, size_t bytes, char *b, char *spot)
{
    size_t pages = bytes / SLAB_PAGE;
    carve_slab_block(b, spot, bytes);
    struct slab *s = (struct slab *)payload_of(spot);
    if (map_cover(page_index(s) + pages - 1) != 0) {
        *(uint64_t *)spot &= ~(uint64_t)SLAB;
        block_free(spot);
        return NULL;
    }
    mark_slab_pages(page_index(s), pages, 1);

    size_t slot = slot_size_of_class(k);
    unsigned nslots = (unsigned)(slot_bytes_in(bytes) / slot);
    s->slot_size = (uint16_t)slot;
    s->nslots = (uint16_t)nslots;
    s->used = 0;
    /* Chain every slot in address order, so slots are handed out low first.
     * The loop counts in the local nslots: a link is a uint16_t store, which
     * might alias s->nslots, so a loop bound read from the slab would be
     * reloaded on every iteration. */
    char *base = (char *)s;
    uint32_t off = SLAB_FIRST_SLOT;
    s->free_head = (uint16_t)off;
    for (unsigned i = 0; i + 1 < nslots; i++, off += (uint32_t)slot)
        *slot_link(base + off) = (uint16_t)(off + slot);
    *slot_link(base + off) = 0;
    slab_list_push(k, s);
    A.ctl->slabs[k]++;
    return s;
}

/* Give an empty slab's block back to the block allocator. */
RARELY_CALLED static void release_slab(unsigned k, struct slab *s)
{
    slab_list_remove(k, s);
    char *b = slab_block(s);
    mark_slab_pages(page_index(s), block_size(b) / SLAB_PAGE, 0);
    *(uint64_t *)b &= ~(uint64_t)SLAB;
    block_free(b);
    A.ctl->slabs[k]--;
}

/*
 * The slab fast paths below end in their rare calls (tail calls), with
 * nothing left to do afterwards: then they save no registers, which is a
 * quarter of their instructions.
 */

/* A slab that just became full leaves its class's list (it is no longer a
 * candidate); returns slot, for slab_alloc's tail call. */
RARELY_CALLED static void *slab_now_full(unsigned k, struct slab *s, void *slot)
{
    slab_list_remove(k, s);
    return slot;
}

/* Take the first free slot of slab s (of class k), which has one. */
static inline void *take_slot(unsigned k, struct slab *s)
{
    char *slot = (char *)s + s->free_head;
    s->free_head = *slot_link(slot);
    s->used++;
    if (!s->free_head)
        return slab_now_full(k, s, slot);
    return slot;
}

static inline int class_is_warm(unsigned k) { return (A.ctl->warm >> k) & 1; }

/* Does class k still wait for its first slab?  Counts the request if so.  A
 * class warms up after its warm-up count of requests, and not before the
 * heap is SLAB_HEAP_SHARE times the class's first slab: a program whose
 * whole heap is a few kilobytes (dc: 12 KB live) would otherwise spend a
 * third of it on slots it never fills, where a block costs a few bytes
 * more per request.  The heap never shrinks, so a warm class stays warm. */
/* (A class's first slab is exactly its fewest pages: slab_bytes_for(k, 0).) */
static ALWAYS_INLINE int heap_holds_slabs_of(unsigned k)
{
    return mem_heapsize() >= SLAB_HEAP_SHARE * SLAB_PAGE * SLAB_MIN_PAGES_FOR(slot_size_of_class(k));
}

static int class_is_cold(unsigned k)
{
    if (class_is_warm(k))
        return 0;
    uint32_t warmup = slab_warmup_of_class(k);
    if (A.ctl->cold_requests[k] < warmup) {
        /* Served by a block; the last of the warm-up makes the class warm
         * at once (realloc then moves payloads of its size into slots). */
        if (++A.ctl->cold_requests[k] == warmup && heap_holds_slabs_of(k))
            A.ctl->warm |= (uint64_t)1 << k;
        return 1;
    }
    if (!heap_holds_slabs_of(k))
        return 1;
    A.ctl->warm |= (uint64_t)1 << k;
    return 0;
}

/*
 * slab_alloc when class k has no slab with room: a slot of a new slab, or a
 * block instead while the class is cold, or when only growing the heap would
 * make room for a mid-sized class's slab although a free block fits the
 * request.  A slab needs contiguous, page-aligned room, which free holes
 * between blocks seldom offer: growing the heap past them for every new slab
 * cost python 2 points of utilization.  Small classes (warm ones: see
 * class_is_cold) always take a slab: headerless slots are where their
 * memory goes furthest.
 */
RARELY_CALLED static void *slab_alloc_from_new_slab(unsigned k, size_t size)
{
    if (class_is_cold(k))
        return block_request(size);
    size_t bytes = slab_bytes_of_class(k);
    char *spot, *b = find_slab_room(bytes, &spot);
    if (!b) {
        if (slot_size_of_class(k) > SLAB_EAGER_SLOT && find_fit(block_size_for(size)))
            return block_request(size);
        if (!(b = grow_for_slab(bytes, &spot)))
            return NULL;
    }
    struct slab *s = new_slab(k, bytes, b, spot);
    return s ? take_slot(k, s) : NULL;
}

static void *slab_alloc(size_t size)
{
    unsigned k = slab_class(size);
    uint32_t head = A.ctl->slab_head[k];
    if (!head)
        return slab_alloc_from_new_slab(k, size);
    return take_slot(k, (struct slab *)at(head));
}

static void slab_free(void *p)
{
    struct slab *s = slab_of(p);
    uint16_t next = s->free_head;
    *slot_link(p) = next;
    s->free_head = (uint16_t)((char *)p - (char *)s);
    s->used--;
    /* A slab that was full is a candidate again (it cannot also be empty
     * now: every slab has many slots).  An empty slab goes back to the block
     * allocator, unless it is the only slab of its class with room: a
     * program that allocates and frees one object at a time would otherwise
     * carve and release a slab per call. */
    if (!next)
        slab_list_push(slab_class(s->slot_size), s);
    else if (s->used == 0 && (s->next || s->prev))
        release_slab(slab_class(s->slot_size), s);
}

/* ---- the contract ---------------------------------------------------------------- */

int my_init(void)
{
    memset(&A, 0, sizeof A);
    A.lo = mem_heap_lo();
    /* Control block, then the epilogue, which FIRST_BLOCK puts at 8 mod 16. */
    if (mem_sbrk((intptr_t)(FIRST_BLOCK + WORD)) == (void *)-1)
        return -1;
    A.ctl = (struct heap_control *)A.lo;
    memset(A.ctl, 0, sizeof *A.ctl);
    for (unsigned c = 0; c < NUM_CLASSES; c++)
        sentinel(c)->next = sentinel(c)->prev = link_to(sentinel(c));
    set_header(first_block(), 0, ALLOC | PREV_ALLOC);
    return 0;
}

void *my_alloc(size_t size)
{
    if (uses_slab(size))
        return slab_alloc(size);
    return block_request(size);
}

void my_free(void *ptr)
{
    /* NULL is in no slab (its page index is past the map), so the NULL test
     * can wait until the block path. */
    if (in_slab(ptr))
        slab_free(ptr);
    else if (ptr)
        block_free(block_of(ptr));
}

static inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* place() for realloc, whose block b (out of the lists) was allocated: when a
 * remainder is split off, the block after it must learn that its neighbour
 * below is now free. */
static void place_in_resized_block(char *b, size_t asize)
{
    size_t size = block_size(b);
    place(b, asize);
    if (size - asize >= MIN_BLOCK)
        set_prev_alloc_bit(b + size, 0);
}

/* Move a payload: allocate, copy `keep` bytes, free the old one. */
static void *move_payload(void *ptr, size_t size, size_t keep)
{
    void *q = my_alloc(size);
    if (!q)
        return NULL;
    memcpy(q, ptr, min_size(keep, size));
    my_free(ptr);
    return q;
}

/*
 * my_realloc -- in place whenever the block can be resized where it is:
 * shrink (splitting off the rest), grow into a free block above, grow the
 * heap when the block is last, or slide down into a free block below.
 * Otherwise move.  Slab slots stay put while the new size maps to the same
 * slot size.
 */
void *my_realloc(void *ptr, size_t size)
{
    if (!ptr)
        return my_alloc(size);
    if (size == 0) {
        my_free(ptr);
        return NULL;
    }
    if (in_slab(ptr)) {
        struct slab *s = slab_of(ptr);
        if (uses_slab(size) && slab_class(size) == slab_class(s->slot_size))
            return ptr;
        return move_payload(ptr, size, s->slot_size);
    }
    char *b = block_of(ptr);
    size_t have = block_size(b);
    /* A size whose class has slabs moves into one; else the block resizes. */
    if (uses_slab(size) && class_is_warm(slab_class(size)))
        return move_payload(ptr, size, have - WORD);
    size_t asize = block_size_for(size);

    /* Grow the heap when b is its last block (or is followed by the free tail). */
    char *next = next_block(b);
    size_t next_free = is_alloc(next) ? 0 : block_size(next);
    if (have + next_free < asize && block_size(next + next_free) == 0 && is_alloc(next + next_free)) {
        if (!allocate_slab(asize - have - next_free))
            return NULL;
        next_free = block_size(next);
    }
    if (have + next_free >= asize) {
        if (next_free) {
            remove_free(next);
            set_header(b, have + next_free, header(b) & FLAG_MASK);
        }
        place_in_resized_block(b, asize);
        return ptr;
    }
    if (!is_prev_alloc(b)) {
        char *prev = prev_free_block(b);
        size_t total = block_size(prev) + have + next_free;
        if (total >= asize) {
            remove_free(prev);
            if (next_free)
                remove_free(next);
            set_header(prev, total, header(prev) & PREV_ALLOC);
            memmove(payload_of(prev), ptr, have - WORD);
            place_in_resized_block(prev, asize);
            return payload_of(prev);
        }
    }
    return move_payload(ptr, size, have - WORD);
}

/* ---- the heap checker: one function per group of invariants ----------------------- */

/* Report the first broken invariant and fail. */
#define BROKEN(...) do { heap_report(__VA_ARGS__); return 1; } while (0)

/* Offsets from lo make messages readable and the same from run to run. */
static inline long rel(const void *p) { return (long)((const char *)p - A.lo); }

/* Could a block start at b, with room for a minimal block before the epilogue? */
static int plausible_block(const char *b)
{
    return b >= first_block() && b + MIN_BLOCK <= epilogue() && ((uintptr_t)b + WORD) % ALIGNMENT == 0;
}

/* I6 (this slab's part) and I7; counts slabs, and slabs with a free slot, per class. */
static int check_slab(char *b, size_t slabs[SLAB_CLASSES], size_t with_free_slot[SLAB_CLASSES])
{
    struct slab *s = (struct slab *)payload_of(b);
    size_t slot = s->slot_size;
    if (slot < ALIGNMENT || slot > SLAB_MAX_SLOT || slot % ALIGNMENT != 0)
        BROKEN("I7: slab at offset %ld has slot size %zu, not a slab class", rel(s), slot);
    if (!class_is_warm(slab_class(slot)))
        BROKEN("I8: slab at offset %ld has slots of %zu bytes, a class that has not warmed up (%u of %u requests)",
               rel(s), slot, (unsigned)A.ctl->cold_requests[slab_class(slot)], (unsigned)slab_warmup_of_class(slab_class(slot)));
    size_t bytes = block_size(b), first = slab_bytes_for(slab_class(slot), 0);
    if (bytes % SLAB_PAGE != 0 || bytes < first || bytes > SLAB_MAX_PAGES * SLAB_PAGE)
        BROKEN("I6: slab block at offset %ld is %zu bytes, not whole pages from %zu to %u (slots of %zu)",
               rel(b), bytes, first, SLAB_MAX_PAGES * SLAB_PAGE, slot);
    if ((size_t)rel(s) % SLAB_PAGE != 0)
        BROKEN("I6: slab at offset %ld is not on a %u-byte boundary", rel(s), SLAB_PAGE);
    for (size_t i = 0; i < bytes / SLAB_PAGE; i++)
        if (map_entry(page_index(s) + i) != i + 1)
            BROKEN("I6: page %zu of the slab at offset %ld is marked %u in the page map, not %zu",
                   i, rel(s), map_entry(page_index(s) + i), i + 1);
    if (s->nslots != slot_bytes_in(bytes) / slot || s->used > s->nslots)
        BROKEN("I7: slab at offset %ld: %u slots of %zu bytes (%u used) do not fit it",
               rel(s), (unsigned)s->nslots, slot, (unsigned)s->used);
    size_t expected = (size_t)s->nslots - s->used, found = 0;
    for (uint32_t off = s->free_head; off != 0; off = *slot_link((char *)s + off)) {
        if (off < SLAB_FIRST_SLOT || (off - SLAB_FIRST_SLOT) % slot != 0
            || off >= SLAB_FIRST_SLOT + s->nslots * slot)
            BROKEN("I7: slab at offset %ld: free slot offset %u is not a slot", rel(s), (unsigned)off);
        if (++found > expected)
            BROKEN("I7: slab at offset %ld: free-slot chain is longer than its %zu free slots (a cycle, or used is wrong)",
                   rel(s), expected);
    }
    if (found != expected)
        BROKEN("I7: slab at offset %ld: %zu free slots chained, %zu expected (%u slots, %u used)",
               rel(s), found, expected, (unsigned)s->nslots, (unsigned)s->used);
    slabs[slab_class(slot)]++;
    if (s->free_head)
        with_free_slot[slab_class(slot)]++;
    return 0;
}

/* I5: the free lists against the per-class counts of the heap walk. */
static int check_free_lists(const size_t free_in_heap[NUM_CLASSES])
{
    for (unsigned c = 0; c < NUM_CLASSES; c++) {
        size_t count = 0;
        struct free_node *prev = sentinel(c);
        for (struct free_node *n = next_node(sentinel(c)); n != sentinel(c); prev = n, n = next_node(n)) {
            char *b = block_of_node(n);
            if (!plausible_block(b))
                BROKEN("I5: free list %u links to offset %ld, which is not a block in the heap", c, rel(b));
            if (is_alloc(b))
                BROKEN("I5: free list %u holds the allocated block at offset %ld", c, rel(b));
            if (size_class(block_size(b)) != c)
                BROKEN("I5: free list %u holds the block at offset %ld of %zu bytes, which belongs in list %u",
                       c, rel(b), block_size(b), size_class(block_size(b)));
            if (prev_node(n) != prev)
                BROKEN("I5: free list %u: block at offset %ld has a wrong prev link", c, rel(b));
            if (++count > free_in_heap[c])
                BROKEN("I5: free list %u is longer than the heap's %zu free blocks of its class (a block listed twice, or a cycle)",
                       c, free_in_heap[c]);
        }
        if (prev_node(sentinel(c)) != prev)
            BROKEN("I5: free list %u: its sentinel's prev link is not its last block", c);
        if (count != free_in_heap[c])
            BROKEN("I5: the heap has %zu free blocks of class %u but its list holds %zu", free_in_heap[c], c, count);
        if ((((A.nonempty >> c) & 1) != 0) != (count != 0))
            BROKEN("I5: bit %u of the non-empty bitmap is %s but list %u is %s", c,
                   (A.nonempty >> c) & 1 ? "set" : "clear", c, count ? "non-empty" : "empty");
    }
    return 0;
}

/* I8: the slab lists against the per-class counts of slabs with a free slot. */
static int check_slab_lists(const size_t slabs[SLAB_CLASSES], const size_t with_free_slot[SLAB_CLASSES])
{
    for (unsigned k = 0; k < SLAB_CLASSES; k++) {
        if ((uint16_t)slabs[k] != A.ctl->slabs[k])
            BROKEN("I8: the heap has %zu slabs of class %u but the control block counts %u (modulo 2^16)",
                   slabs[k], k, (unsigned)A.ctl->slabs[k]);
        if (class_is_warm(k) && A.ctl->cold_requests[k] != slab_warmup_of_class(k))
            BROKEN("I8: class %u is warm after %u cold requests, not its warm-up count %u",
                   k, (unsigned)A.ctl->cold_requests[k], (unsigned)slab_warmup_of_class(k));
        size_t n = 0;
        struct slab *prev = NULL;
        for (struct slab *s = (struct slab *)at(A.ctl->slab_head[k]); s; prev = s, s = (struct slab *)at(s->next)) {
            if ((size_t)rel(s) % SLAB_PAGE != 0 || map_entry(page_index(s)) != 1)
                BROKEN("I8: slab list %u links to offset %ld, which is not a slab", k, rel(s));
            if (s->slot_size != slot_size_of_class(k))
                BROKEN("I8: slab list %u (slots of %zu bytes) holds the slab at offset %ld with slots of %u bytes",
                       k, slot_size_of_class(k), rel(s), (unsigned)s->slot_size);
            if (!s->free_head)
                BROKEN("I8: slab list %u holds the full slab at offset %ld", k, rel(s));
            if ((struct slab *)at(s->prev) != prev)
                BROKEN("I8: slab list %u: slab at offset %ld has a wrong prev link", k, rel(s));
            if (++n > with_free_slot[k])
                BROKEN("I8: slab list %u is longer than the %zu slabs of its class with a free slot (listed twice, or a cycle)",
                       k, with_free_slot[k]);
        }
        if (n != with_free_slot[k])
            BROKEN("I8: %zu slabs of class %u have a free slot but its list holds %zu", with_free_slot[k], k, n);
    }
    return 0;
}

/* I6 (the map's part): exactly the slabs' pages are marked (check_slab has
 * seen each slab's own pages marked 1, 2, ...: then no other page is marked
 * when the counts agree), and the map lives in a block. */
static int check_page_map(size_t slab_pages, int map_block_seen)
{
    if (!A.slab_map) {
        if (slab_pages)
            BROKEN("I6: the heap has %zu slab pages but no page map", slab_pages);
        return 0;
    }
    if (!map_block_seen)
        BROKEN("I6: the page map (offset %ld) is not the payload of an allocated block", rel(A.slab_map));
    size_t marked = 0;
    for (size_t i = 0; i < A.slab_map_pages; i++)
        marked += A.slab_map[i] != 0;
    if (marked != slab_pages)
        BROKEN("I6: the page map marks %zu pages but the heap's slabs span %zu", marked, slab_pages);
    return 0;
}

int my_check_heap(void)
{
    if (A.lo != mem_heap_lo() || (char *)A.ctl != A.lo || mem_heapsize() < FIRST_BLOCK + WORD)
        BROKEN("I1: the heap does not start with the control block (was my_init called?)");
    size_t free_in_heap[NUM_CLASSES] = {0};
    size_t slabs[SLAB_CLASSES] = {0}, with_free_slot[SLAB_CLASSES] = {0};
    size_t slab_pages = 0;
    int map_block_seen = 0;
    int below_alloc = 1;            /* the first block counts as having an allocated block below */
    char *end = epilogue(), *b;
    for (b = first_block(); b < end; b = next_block(b)) {
        size_t size = block_size(b);
        if (size < MIN_BLOCK || size > (size_t)(end - b))
            BROKEN("I1: block at offset %ld has size %zu, which does not fit between it and the epilogue (offset %ld)",
                   rel(b), size, rel(end));
        /* The size's low 4 bits hold the flags, so a size that is not a
         * multiple of 16 shows up as an unknown flag bit. */
        if (header(b) & FLAG_MASK & ~(uint64_t)(ALLOC | PREV_ALLOC | SLAB))
            BROKEN("I1: block at offset %ld has header %#llx: the size is not a multiple of 16",
                   rel(b), (unsigned long long)header(b));
        if (is_prev_alloc(b) != below_alloc)
            BROKEN("I3: block at offset %ld has PREV_ALLOC %d, but the block below it is %s",
                   rel(b), is_prev_alloc(b), below_alloc ? "allocated" : "free");
        if (!is_alloc(b)) {
            if (is_slab_block(b))
                BROKEN("I6: free block at offset %ld is marked as a slab", rel(b));
            if (*(uint64_t *)footer(b) != header(b))
                BROKEN("I2: free block at offset %ld: header %#llx, footer %#llx", rel(b),
                       (unsigned long long)header(b), (unsigned long long)*(uint64_t *)footer(b));
            if (!below_alloc)
                BROKEN("I4: free blocks at offsets %ld and %ld are adjacent", rel(prev_free_block(b)), rel(b));
            free_in_heap[size_class(size)]++;
        } else if (is_slab_block(b)) {
            if (check_slab(b, slabs, with_free_slot))
                return 1;
            slab_pages += size / SLAB_PAGE;
        } else if (A.slab_map && payload_of(b) == (char *)A.slab_map && size - WORD >= A.slab_map_pages) {
            map_block_seen = 1;
        }
        below_alloc = is_alloc(b);
    }
    if (b != end || header(end) != (ALLOC | (below_alloc ? PREV_ALLOC : 0u)))
        BROKEN("I1: the heap does not end with the epilogue (offset %ld, header %#llx, PREV_ALLOC must be %d)",
               rel(end), (unsigned long long)header(end), below_alloc);
    if (check_page_map(slab_pages, map_block_seen) || check_free_lists(free_in_heap)
        || check_slab_lists(slabs, with_free_slot))
        return 1;
    return 0;
}

/* ---- my_heap_walk: every block in address order, slab slots one by one ----------- */

static void walk_slab(struct slab *s, heap_visit_fn *visit, void *ctx)
{
    uint64_t is_free[SLAB_MAX_SLOTS / 64 + 1] = {0};
    unsigned n = 0;
    for (uint32_t off = s->free_head; off != 0 && n < s->nslots; off = *slot_link((char *)s + off), n++) {
        unsigned i = (off - SLAB_FIRST_SLOT) / s->slot_size;
        is_free[i / 64] |= (uint64_t)1 << (i % 64);
    }
    for (unsigned i = 0; i < s->nslots; i++) {
        char *slot = (char *)s + SLAB_FIRST_SLOT + (size_t)i * s->slot_size;
        int free_slot = (is_free[i / 64] >> (i % 64)) & 1;
        struct heap_block hb = { slot, s->slot_size, free_slot ? NULL : slot, s->slot_size };
        visit(ctx, &hb);
    }
}

void my_heap_walk(heap_visit_fn *visit, void *ctx)
{
    char *end = epilogue();
    for (char *b = first_block(); b < end; b = next_block(b)) {
        if (is_slab_block(b)) {
            walk_slab((struct slab *)payload_of(b), visit, ctx);
            continue;
        }
        struct heap_block hb = { b, block_size(b), is_alloc(b) ? payload_of(b) : NULL, 0 };
        visit(ctx, &hb);
    }
}
