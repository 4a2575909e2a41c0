/* The contract's my_alloc as a GNU ifunc. Expected: load-time-code. */
#include <stddef.h>
/* my_alloc is an ifunc: its resolver runs at load time (IRELATIVE). */
static void *plain_alloc(size_t size) { (void)size; return NULL; }
static void *(*pick_alloc(void))(size_t) { return plain_alloc; }
void *my_alloc(size_t size) __attribute__((ifunc("pick_alloc")));
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
