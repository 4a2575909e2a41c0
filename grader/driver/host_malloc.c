/*
 * host_malloc.c -- the only malloc in a submission's allocator host.
 *
 * Linked into every submission's host (grader/link.py) ahead of libc, so
 * glibc's allocator is not in the executable at all: no arena, no pointer
 * to it anywhere for an allocator to find.  A store of memory outside the
 * simulated heap would let an allocator keep metadata where utilization
 * does not see it.
 *
 *   before the seal  static glibc's start-up (and the unsealed debug and
 *                    replay-only modes, which read traces) get memory: a
 *                    page-aligned static pool, then anonymous mmap regions;
 *                    blocks carry their size, free is a no-op (a host lives
 *                    for one trace)
 *   host_malloc_seal the pool becomes PROT_NONE (the seal forbids mprotect
 *                    outside the heap, so it stays so) and every later call
 *                    returns NULL (the seal forbids mmap too)
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define POOL_SIZE (64 * 1024)
#define REGION_SIZE ((size_t)64 << 20)
#define HEADER 16

static char pool[POOL_SIZE] __attribute__((aligned(4096)));
static char *cursor = pool, *limit = pool + POOL_SIZE;
static int sealed;

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }
static size_t *header_of(void *p) { return (size_t *)((char *)p - HEADER); }

void host_malloc_seal(void)
{
    sealed = 1;
    cursor = limit = NULL;
    mprotect(pool, POOL_SIZE, PROT_NONE);
}

void *malloc(size_t n)
{
    if (sealed || n > REGION_SIZE - HEADER) {
        errno = ENOMEM;
        return NULL;
    }
    size_t need = HEADER + round16(n ? n : 1);
    if (!cursor || need > (size_t)(limit - cursor)) {
        size_t len = need > REGION_SIZE ? need : REGION_SIZE;
        char *r = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED) {
            errno = ENOMEM;
            return NULL;
        }
        cursor = r;
        limit = r + len;
    }
    char *p = cursor + HEADER;
    *header_of(p) = n;
    cursor += need;
    return p;
}

void free(void *p) { (void)p; }

void *calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return malloc(count * size);   /* fresh memory is zero: pool and mmap alike */
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    size_t old = *header_of(p);
    if (n <= old) {
        *header_of(p) = n;
        return p;
    }
    void *q = malloc(n);
    if (q)
        memcpy(q, p, old);
    return q;
}
