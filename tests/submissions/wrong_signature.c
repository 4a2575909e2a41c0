/* wrong_signature.c -- my_alloc takes an int: the contract (my_alloc.h, which
 * the grader force-includes) makes that a compile error. */
#include <stdint.h>

#include "memlib.h"

int my_init(void) { return 0; }
void *allocate_slab(size_t size) { void *p = mem_sbrk((intptr_t)size); return p == (void *)-1 ? 0 : p; }
void *my_alloc(int size) { return size ? allocate_slab((size_t)(size + 15) & ~(size_t)15) : 0; }
void my_free(void *ptr) { (void)ptr; }
