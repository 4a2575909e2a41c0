/*
 * livemap.h -- the set of live payloads, ordered by address.
 *
 * The driver inserts every payload it receives and removes it when freed.
 * Because live payloads never overlap (that is what insertion checks), the
 * only candidates for overlapping a new payload [s, e) are its neighbours in
 * address order: the last payload starting at or before s and the first one
 * starting after s.  Two O(log n) lookups therefore decide overlap, and
 * containment (one payload inside another) is caught the same way.
 *
 * Nodes are indexed by trace id (each id has at most one live payload), so
 * the map allocates nothing per operation.
 */
#ifndef SLABLAB_LIVEMAP_H
#define SLABLAB_LIVEMAP_H

#include <stddef.h>
#include <stdint.h>

#define LIVEMAP_NONE UINT32_MAX

struct livemap_node {
    uintptr_t start, end;     /* payload [start, end) */
    uint32_t left, right;     /* children in the treap, or LIVEMAP_NONE */
    uint32_t priority;        /* heap order of the treap */
};

struct livemap {
    struct livemap_node *nodes;   /* one per id */
    size_t nids;
    uint32_t root;
    size_t count;
    uint32_t rng;
};

int livemap_init(struct livemap *m, size_t nids);   /* 0 or -1 (no memory) */
void livemap_clear(struct livemap *m);              /* empty, keep the nodes */
void livemap_destroy(struct livemap *m);

/* Insert id's payload [start, start + size), size >= 1.  Returns LIVEMAP_NONE
 * on success; otherwise inserts nothing and returns the id of a live payload
 * that overlaps it. */
uint32_t livemap_insert(struct livemap *m, uint32_t id, uintptr_t start, size_t size);

/* The id whose payload starts exactly at start, or LIVEMAP_NONE. */
uint32_t livemap_find(struct livemap *m, uintptr_t start);

/* Remove id's payload (it must be in the map). */
void livemap_remove(struct livemap *m, uint32_t id);

#endif /* SLABLAB_LIVEMAP_H */
