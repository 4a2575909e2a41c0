/* A 64 KiB thread-local array. Expected: global-data. */
#include <stddef.h>
/* 64 KiB of thread-local storage: one copy per thread, writable. */
static _Thread_local char tls_pool[65536];
int my_init(void) { tls_pool[0] = 1; return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { return size < sizeof tls_pool ? tls_pool : NULL; }
void my_free(void *ptr) { (void)ptr; }
