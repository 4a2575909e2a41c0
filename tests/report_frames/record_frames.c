/*
 * record_frames.c -- writes the per-operation "frames" of a trace in the
 * schema the driver's `--frames N` will emit, for the HTML step-through
 * view's test fixtures (tests/test_report_steps.py) until the driver has it.
 *
 * Linked with an allocator that defines my_heap_walk and with
 * build/libdriver-nomain.a (memlib, heap_report).  Reads requests on stdin,
 * one per line, "KIND ID SIZE LINE" (KIND a|f|r; make_frames.py turns a .rep
 * file into this), replays them once -- NO checks: this is a fixture maker,
 * not a checker -- and prints one JSON array, one frame after every op:
 *   {"op","line","kind","id","size","offset","heap_size","live_payload",
 *    "walk":true,"blocks":[[offset,size,payload_offset|-1,requested,slab_class],...]}
 * Offsets are from the heap's first byte.  `requested` is what the trace
 * asked for when the block's payload is a live id, 0 otherwise.
 * Invariant: at most MAX_IDS ids and MAX_BLOCKS blocks per frame (fixtures
 * are short traces); anything larger stops with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "my_alloc.h"
#include "memlib.h"

/* Optional: without it, alloc + copy + free as the driver does. */
#pragma weak my_realloc

#define MAX_IDS 4096
#define MAX_BLOCKS 8192

static char *ptr_of[MAX_IDS];
static size_t size_of_id[MAX_IDS];
static long long live_payload;
static int first_block;

static long long off(const void *p) { return (long long)((const char *)p - (const char *)mem_heap_lo()); }

/* The requested size of the live id whose payload is p, or 0. */
static size_t requested_at(const void *p)
{
    for (int i = 0; i < MAX_IDS; i++)
        if (ptr_of[i] != NULL && ptr_of[i] == p)
            return size_of_id[i];
    return 0;
}

static void visit(void *ctx, const struct heap_block *b)
{
    (void)ctx;
    printf("%s[%lld,%zu,%lld,%zu,%zu]", first_block ? "" : ",", off(b->start), b->size,
           b->payload ? off(b->payload) : -1LL, b->payload ? requested_at(b->payload) : (size_t)0,
           b->slab_class);
    first_block = 0;
}

int main(void)
{
    if (mem_init() != 0 || (mem_reset(), my_init()) != 0) {
        fprintf(stderr, "record_frames: cannot start the heap\n");
        return 2;
    }
    char kind;
    unsigned id, line;
    size_t size;
    int op = 0;
    printf("[");
    while (scanf(" %c %u %zu %u", &kind, &id, &size, &line) == 4) {
        if (id >= MAX_IDS) {
            fprintf(stderr, "record_frames: id %u too large for a fixture\n", id);
            return 2;
        }
        void *p = NULL;
        if (kind == 'a') {
            p = my_alloc(size);
            ptr_of[id] = p;
            size_of_id[id] = size;
            live_payload += (long long)size;
        } else if (kind == 'f') {
            p = ptr_of[id];
            my_free(p);
            live_payload -= (long long)size_of_id[id];
            ptr_of[id] = NULL;
            size = size_of_id[id];
        } else {
            if (ptr_of[id] == NULL) {
                p = my_alloc(size);
            } else if (my_realloc) {
                p = my_realloc(ptr_of[id], size);
            } else if ((p = my_alloc(size)) != NULL) {
                memcpy(p, ptr_of[id], size < size_of_id[id] ? size : size_of_id[id]);
                my_free(ptr_of[id]);
            }
            live_payload += (long long)size - (long long)size_of_id[id];
            ptr_of[id] = p;
            size_of_id[id] = size;
        }
        printf("%s\n{\"op\":%d,\"line\":%u,\"kind\":\"%s\",\"id\":%u,\"size\":%zu,", op ? "," : "", op, line,
               kind == 'a' ? "alloc" : kind == 'f' ? "free" : "realloc", id, size);
        if (p)
            printf("\"offset\":%lld,", off(p));
        else
            printf("\"offset\":null,");
        printf("\"heap_size\":%zu,\"live_payload\":%lld,\"walk\":true,\"blocks\":[",
               mem_heapsize(), live_payload);
        first_block = 1;
        my_heap_walk(visit, NULL);
        printf("]}");
        op++;
    }
    printf("\n]\n");
    return 0;
}
