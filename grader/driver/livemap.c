/*
 * livemap.c -- a treap of live payloads keyed by start address.
 *
 * Invariants:
 *   L1  in-order traversal lists payloads by increasing start address;
 *   L2  a node's priority is >= its children's (so depth is O(log n) expected);
 *   L3  payloads in the map are pairwise disjoint.
 * Operations are written with split/merge, which keeps each one a few lines.
 */
#include "livemap.h"

#include <stdlib.h>

#define NONE LIVEMAP_NONE

static struct livemap_node *node(struct livemap *m, uint32_t i) { return &m->nodes[i]; }

static uint32_t next_priority(struct livemap *m)
{
    m->rng ^= m->rng << 13;   /* xorshift32: fixed seed, so replays are repeatable */
    m->rng ^= m->rng >> 17;
    m->rng ^= m->rng << 5;
    return m->rng;
}

int livemap_init(struct livemap *m, size_t nids)
{
    m->nodes = calloc(nids ? nids : 1, sizeof *m->nodes);
    m->nids = nids;
    livemap_clear(m);
    return m->nodes ? 0 : -1;
}

void livemap_clear(struct livemap *m)
{
    m->root = NONE;
    m->count = 0;
    m->rng = 2463534242u;
}

void livemap_destroy(struct livemap *m)
{
    free(m->nodes);
    m->nodes = NULL;
}

/* Split tree t into *lo (start < key) and *hi (start >= key). */
static void split(struct livemap *m, uint32_t t, uintptr_t key, uint32_t *lo, uint32_t *hi)
{
    if (t == NONE) {
        *lo = *hi = NONE;
    } else if (node(m, t)->start < key) {
        split(m, node(m, t)->right, key, &node(m, t)->right, hi);
        *lo = t;
    } else {
        split(m, node(m, t)->left, key, lo, &node(m, t)->left);
        *hi = t;
    }
}

/* Merge trees a and b where every start in a is below every start in b. */
static uint32_t merge(struct livemap *m, uint32_t a, uint32_t b)
{
    if (a == NONE)
        return b;
    if (b == NONE)
        return a;
    if (node(m, a)->priority >= node(m, b)->priority) {
        node(m, a)->right = merge(m, node(m, a)->right, b);
        return a;
    }
    node(m, b)->left = merge(m, a, node(m, b)->left);
    return b;
}

/* The payload with the greatest start <= key, or NONE. */
static uint32_t floor_of(struct livemap *m, uintptr_t key)
{
    uint32_t best = NONE;
    for (uint32_t t = m->root; t != NONE;)
        if (node(m, t)->start <= key) {
            best = t;
            t = node(m, t)->right;
        } else {
            t = node(m, t)->left;
        }
    return best;
}

/* The payload with the smallest start > key, or NONE. */
static uint32_t above(struct livemap *m, uintptr_t key)
{
    uint32_t best = NONE;
    for (uint32_t t = m->root; t != NONE;)
        if (node(m, t)->start > key) {
            best = t;
            t = node(m, t)->left;
        } else {
            t = node(m, t)->right;
        }
    return best;
}

uint32_t livemap_find(struct livemap *m, uintptr_t start)
{
    uint32_t t = floor_of(m, start);
    return t != NONE && node(m, t)->start == start ? t : NONE;
}

uint32_t livemap_insert(struct livemap *m, uint32_t id, uintptr_t start, size_t size)
{
    uintptr_t end = start + size;
    uint32_t before = floor_of(m, start);
    if (before != NONE && node(m, before)->end > start)
        return before;
    uint32_t after = above(m, start);
    if (after != NONE && node(m, after)->start < end)
        return after;

    *node(m, id) = (struct livemap_node){ start, end, NONE, NONE, next_priority(m) };
    uint32_t lo, hi;
    split(m, m->root, start, &lo, &hi);
    m->root = merge(m, merge(m, lo, id), hi);
    m->count++;
    return NONE;
}

void livemap_remove(struct livemap *m, uint32_t id)
{
    uintptr_t start = node(m, id)->start;
    uint32_t lo, mid, hi;
    split(m, m->root, start, &lo, &mid);
    split(m, mid, start + 1, &mid, &hi);   /* mid is now exactly id's node */
    m->root = merge(m, lo, hi);
    m->count--;
}
