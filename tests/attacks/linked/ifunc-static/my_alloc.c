/* A static ifunc. Expected: load-time-code. */
#include <stddef.h>
/* A file-local ifunc used by my_init: the resolver still runs at load time. */
static int zero(void) { return 0; }
static int (*pick(void))(void) { return zero; }
static int init_impl(void) __attribute__((ifunc("pick")));
int my_init(void) { return init_impl(); }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
