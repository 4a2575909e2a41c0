/* 64 KiB in a section declared read-only ("a") but named .data.pool: ld's
 * default script puts every .data.* input into the writable .data output
 * section whatever its flags (and gas already marks it "aw"), so the memory
 * is writable at run time.  Whatever the object says, the linked
 * executable's segments show it.  Expected: global-data at both levels. */
#include <stddef.h>
__asm__(".pushsection .data.pool,\"a\",@progbits\n\t.p2align 4\npool:\n\t.zero 65536\n\t.popsection");
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
