/* A destructor: runs at exit, outside any contract call. Expected: load-time-code. */
#include <stddef.h>
#include <stdio.h>
__attribute__((destructor)) static void at_exit_(void) { puts("ran after main"); }
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
