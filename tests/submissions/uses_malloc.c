/* uses_malloc.c -- takes its memory from libc malloc: against the rules
 * (forbidden-call: malloc, free). */
#include <stdlib.h>

#include "my_alloc.h"

int my_init(void) { return 0; }
void *allocate_slab(size_t size) { return malloc(size); }
void *my_alloc(size_t size) { return size ? aligned_alloc(16, (size + 15) & ~(size_t)15) : NULL; }
void my_free(void *ptr) { free(ptr); }
