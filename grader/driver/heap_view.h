/*
 * heap_view.h -- the checker's extras beyond memlib's interface (heap_view.c).
 */
#ifndef SLABLAB_HEAP_VIEW_H
#define SLABLAB_HEAP_VIEW_H

#include <stddef.h>
#include <stdint.h>

int heap_view_fd(void);
int heap_view_set_size(size_t size);
int heap_view_grant(size_t old, size_t incr);
uint64_t heap_view_hash(size_t size);
void heap_view_zero(size_t size);

#endif /* SLABLAB_HEAP_VIEW_H */
