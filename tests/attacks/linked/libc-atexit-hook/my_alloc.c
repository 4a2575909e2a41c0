/* A pointer in the section __libc_atexit: a static glibc's exit() calls
 * every pointer there (tried: a static program built this way prints from
 * its hook after main returns) -- code outside any contract call, and no
 * constructor anywhere.  Expected: load-time-code at both levels. */
#include <stddef.h>
static int calls;
static void at_exit_hook(void) { calls++; }
__attribute__((section("__libc_atexit"), used)) static void (*const exit_hook)(void) = at_exit_hook;
int my_init(void) { return calls; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
