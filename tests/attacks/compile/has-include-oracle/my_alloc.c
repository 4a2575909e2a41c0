/* Category: the compiler reads the course's files.  __has_include as an
   oracle: inside the sandbox no kit file exists, so this builds (an #error
   would fire if any of them were visible). */
#include <stddef.h>
#if __has_include("@KIT@/solution/my_alloc.c") || __has_include("../solution/my_alloc.c") || \
    __has_include("@KIT@/traces/synth-fifo.rep") || __has_include("/etc/passwd") || \
    __has_include("/root/.bashrc") || __has_include("/proc/self/environ")
#error a file outside the sandbox is visible
#endif
int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { (void)size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
