/*
 * local_alloc.c -- the allocators an allocator host calls directly: the
 * student's (linked into the same executable) and libc's.
 *
 * Only the host links this file; the checker never refers to a student
 * symbol.  The optional functions are weak references: an allocator that
 * does not define them leaves these fields NULL, and the replay falls back.
 */
#include <stdlib.h>

#include "my_alloc.h"
#include "replay.h"

#pragma weak my_realloc
#pragma weak my_check_heap
#pragma weak my_heap_walk

static void *libc_alloc(size_t size) { return size ? malloc(size) : NULL; }
static int libc_init(void) { return 0; }

const struct allocator student_allocator = {
    "my_alloc", 1, my_init, my_alloc, my_free, my_realloc, my_check_heap, my_heap_walk,
};
const struct allocator libc_allocator = {
    "libc", 0, libc_init, libc_alloc, free, realloc, NULL, NULL,
};
