/* An entry in .preinit_array. Expected: load-time-code. */
#include <stddef.h>
static int early;
static void before_everything(void) { early = 1; }
__attribute__((section(".preinit_array"), used)) static void (*const preinit_hook)(void) = before_everything;
int my_init(void) { return early - 1; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
