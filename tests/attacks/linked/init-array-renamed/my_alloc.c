/* An SHT_INIT_ARRAY section named .my_hooks. Expected: load-time-code. */
#include <stddef.h>
/* An init array under another name: SHT_INIT_ARRAY by type.  The check
   goes by type, whatever the linker then makes of the name. */
__attribute__((used)) static void hook(void) { }
__asm__(".pushsection .my_hooks,\"aw\",@init_array\n\t.p2align 3\n\t.quad hook\n\t.popsection");
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
