/* broken.c -- does not compile: a missing semicolon and an undeclared name. */
#include "my_alloc.h"

int my_init(void) { return 0 }
void *allocate_slab(size_t size) { return heap_start + size; }
void *my_alloc(size_t size) { return allocate_slab(size); }
void my_free(void *ptr) { (void)ptr; }
