/* A constructor: runs when the program is loaded, before the seal. Expected: load-time-code. */
#include <stddef.h>
static int armed;
__attribute__((constructor)) static void at_load(void) { armed = 1; }
int my_init(void) { return armed ? 0 : 1; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
