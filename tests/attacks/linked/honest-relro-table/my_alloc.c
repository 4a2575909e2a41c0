/* Honest: pointer table in .data.rel.ro and 96 B of globals. Expected: no violation. */
#include <stddef.h>
/* Honest: a const table of pointers lands in .data.rel.ro (read-only after
   relocation, PT_GNU_RELRO) and 96 bytes of real globals: under the cap. */
static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };
static size_t counters[12];
int my_init(void) { counters[0] = (size_t)names[1][0]; return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size) { counters[1] += size; return NULL; }
void my_free(void *ptr) { (void)ptr; }
