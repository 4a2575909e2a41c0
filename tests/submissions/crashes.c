/* crashes.c -- compiles and follows the rules, but writes 1 MB past the
 * break on the first request: every trace fails with SIGSEGV, and the
 * grader goes on to the next trace. */
#include <stddef.h>

#include "memlib.h"
#include "my_alloc.h"

int my_init(void) { return 0; }
void *allocate_slab(size_t size) { (void)size; return NULL; }
void *my_alloc(size_t size)
{
    volatile char *past_the_break = (char *)mem_heap_lo() + (1 << 20);
    *past_the_break = (char)size;
    return NULL;
}
void my_free(void *ptr) { (void)ptr; }
