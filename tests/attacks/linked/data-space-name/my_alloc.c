/* 64 MiB in a section named "my data". Expected: global-data. */
#include <stddef.h>
/* 64 MiB of writable memory in a section whose name holds a space. */
__asm__(".pushsection \"my data\",\"aw\",@nobits\n\t.p2align 4\nbig_space:\n\t.zero 67108864\n\t.popsection");
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
