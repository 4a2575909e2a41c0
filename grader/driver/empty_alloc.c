/*
 * empty_alloc.c -- the allocator of build/libc-host: nothing at all.
 *
 * libc-host is libhost.a linked with this file.  It is the baseline twice:
 * its timed replays call libc's malloc (the throughput reference), and its
 * load-time entry points and writable segments are what a submission's
 * executable is compared with (grader/static.py): whatever a submission's
 * executable has beyond these, the submission brought.
 */
#include "my_alloc.h"

int my_init(void) { return 0; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
