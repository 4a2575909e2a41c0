/*
 * recorder.h -- the raw log written by the LD_PRELOAD recorder (recorder.c)
 * and read by rec2trace.py.  Both sides must agree on this layout; the
 * Python side mirrors it in traces/tracekit.py (RawLog).
 *
 * File = struct rec_header (REC_HEADER_BYTES, zero padded), then entries of
 * struct rec_entry, little-endian as the host writes them.  The first entry
 * whose kind is 0 (or the end of the file) ends the log.
 */
#ifndef SLABLAB_RECORDER_H
#define SLABLAB_RECORDER_H

#include <stdint.h>

#define REC_MAGIC "SLABREC1"
#define REC_HEADER_BYTES 4096
#define REC_CHUNK_BYTES ((size_t)32 << 20)   /* the log is mapped 32 MiB at a time */

enum rec_kind {
    REC_MALLOC = 1,    /* ptr = malloc(size) */
    REC_CALLOC = 2,    /* ptr = calloc(n, m), size = n * m */
    REC_REALLOC = 3,   /* ptr = realloc(old, size); ptr == 0 and size == 0: old freed */
    REC_FREE = 4,      /* free(ptr) */
    REC_ALIGNED = 5,   /* ptr = posix_memalign/aligned_alloc/memalign/valloc/pvalloc(align, size) */
};

struct rec_header {
    char magic[8];          /* REC_MAGIC, no NUL */
    uint32_t entry_size;    /* sizeof(struct rec_entry) */
    uint32_t pid;
    uint32_t ppid;
    uint32_t pad_;
    char cmdline[REC_HEADER_BYTES - 24];   /* arguments joined by spaces, NUL-terminated */
};

struct rec_entry {
    uint64_t ptr;      /* the pointer returned (or freed, for REC_FREE) */
    uint64_t old;      /* REC_REALLOC: the pointer passed in */
    uint64_t size;     /* bytes requested */
    uint32_t align;    /* REC_ALIGNED: the alignment asked for */
    uint16_t kind;     /* enum rec_kind; 0 = end of log */
    uint16_t tid16;    /* low 16 bits of the calling thread's id */
};

_Static_assert(sizeof(struct rec_header) == REC_HEADER_BYTES, "header layout");
_Static_assert(sizeof(struct rec_entry) == 32, "entry layout");

#endif /* SLABLAB_RECORDER_H */
