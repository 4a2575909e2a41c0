/* A hand-made IRELATIVE relocation: bytes in an input section named
 * .rela.iplt land among the relocations the loader (dynamic) or the C
 * runtime's start-up (static, between __rela_iplt_start and _end) applies,
 * calling `resolver` before main with no ifunc symbol anywhere (tried: a
 * static program built this way prints that its resolver ran).  The object
 * shows an allocated section of that name; the executable shows one
 * IRELATIVE more than the baseline.  Expected: load-time-code at both levels. */
#include <stddef.h>
static int fired;
__attribute__((used)) static void *resolver(void) { fired = 1; return NULL; }
__attribute__((used)) static void *slot;
__asm__(".pushsection .rela.iplt,\"a\",@progbits\n\t.p2align 3\n"
        "\t.quad slot\n\t.quad 37\n\t.quad resolver\n\t.popsection");
int my_init(void) { return fired ? 0 : 1; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
