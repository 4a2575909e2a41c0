/* A .init fragment (code in _init). Expected: load-time-code. */
#include <stddef.h>
/* A legacy .init fragment: the linker pastes these bytes into _init, which
   the C runtime calls at start-up.  A nop is enough to show it. */
__asm__(".pushsection .init,\"ax\",@progbits\n\tnop\n\t.popsection");
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
