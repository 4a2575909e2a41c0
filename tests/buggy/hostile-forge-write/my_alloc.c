/*
 * tests/buggy/hostile-forge-write -- a HOSTILE allocator for the sandbox tests.
 *
 * What it tries: it defines its own write(), so the driver's records pass
 * through it, and after a request of exactly HOSTILE_SIZE bytes it rewrites
 * the result record to claim a perfect score (correct, and a heap of 0 bytes).
 * The grader's static check rejects the definition of write (interposition);
 * the driver on its own notices that the forged heap cannot hold the trace's
 * peak payload ("tamper").  A forgery with plausible numbers would pass the
 * driver: that is the documented limit of in-process measurement, and why the
 * static check exists.  tests/test_sandbox.py asserts both.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "my_alloc.h"
#include "memlib.h"

#define HOSTILE_SIZE 12345
#define RECORD_MAGIC 0x5b1ab1abu   /* the driver's record header, read off its source */
#define RECORD_RESULT 1

static int triggered, next_is_result;

ssize_t write(int fd, const void *buf, size_t n)   /* HOSTILE: replaces libc's */
{
    char forged[4096];
    if (next_is_result && n <= sizeof forged) {
        memset(forged, 0, n);
        forged[0] = 1;             /* struct trace_result starts with int correct */
        buf = forged;
    }
    const uint32_t *h = buf;
    next_is_result = triggered && n == 16 && h[0] == RECORD_MAGIC && h[1] == RECORD_RESULT;
    return syscall(SYS_write, fd, buf, n);
}

static size_t align_up(size_t n) { return (n + 15) & ~(size_t)15; }

int my_init(void)
{
    return 0;
}

void *allocate_slab(size_t size)
{
    void *p = mem_sbrk((intptr_t)align_up(size));
    return p == (void *)-1 ? NULL : p;
}

void *my_alloc(size_t size)
{
    if (size == 0)
        return NULL;
    if (size == HOSTILE_SIZE)
        triggered = 1;
    return allocate_slab(size);
}

void my_free(void *ptr)
{
    (void)ptr;
}
