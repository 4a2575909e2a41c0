/* 64 MiB in a section named .data.rel.rox. Expected: global-data. */
#include <stddef.h>
/* 64 MiB in .data.rel.rox: not one of the names ld makes read-only after
   relocation (.data.rel.ro, .data.rel.ro.*), so it stays writable. */
__asm__(".pushsection .data.rel.rox,\"aw\",@nobits\n\t.p2align 4\nbig_rox:\n\t.zero 67108864\n\t.popsection");
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
