/*
 * protocol.h -- the one boundary between the checker and the allocator host.
 *
 * Two processes replay a trace together:
 *
 *   the CHECKER (build/driver, main.c + checker.c)    kit code only
 *     holds the trace, the live-payload map, the payload patterns, the
 *     authoritative break and every result; writes patterns into payloads
 *     and verifies them by reading the shared heap itself; timestamps the
 *     timed replays; never calls, links or loads student code.
 *
 *   the HOST (<submission>/allocator, host.c)          student code + kit loop
 *     a statically linked executable: the student's object and libhost.a.
 *     Exec'd by the checker with an empty environment, no descriptors but
 *     the three below, resource limits and ASLR off; its main() installs
 *     the seccomp seal (seal.c) before the first student function runs.
 *     It holds only its code, the simulated heap and the requests.
 *
 * What crosses, and who may write it:
 *
 *   fd 3  CONTROL  struct control + the answer array   both read/write
 *   fd 4  HEAP     the simulated heap (a memfd)         both read/write;
 *                  the checker alone sizes it (ftruncate), so a host
 *                  touching past the granted pages gets SIGBUS/SIGSEGV
 *   fd 5  OPS      the trace's struct ops (timed mode)  host read-only
 *
 * The host can write anything into CONTROL, so nothing it writes there is
 * believed: every message is checked against the sequence number and the
 * request the checker sent, every offset against the checker's own break,
 * every walk entry against the heap's bounds, and messages are copied out
 * and NUL-terminated before use.  What decides a verdict is what the
 * checker observes itself: the heap bytes, its own break, the kernel's
 * report of how the process ended, and its own clock.
 *
 * Checked replays are lock-step in batches: the checker sends a few ops (at
 * most BATCH_MAX, ending wherever a check is due), having verified the
 * payload of every block those ops will free,
 * and checks every answer when the batch is back; the host never sees a
 * request beyond the batch.  The host runs a batch with the very loop of a
 * timed replay (host.c), writing the payload patterns itself, and stops
 * early, before freeing it, at a payload that lost its pattern: the checker
 * then looks at that payload itself.  Timed replays free-run over OPS in a FRESH host
 * process (no state survives from the checked replay), writing every
 * answer into the answer array; the checker then verifies that the run
 * repeated the checked replay exactly (answers, break, heap image).
 */
#ifndef SLABLAB_PROTOCOL_H
#define SLABLAB_PROTOCOL_H

#include <stdint.h>

#include "memlib.h"
#include "trace.h"

/* The heap sits at the same address in every host process (MAP_FIXED), so a
 * replay in a fresh process sees the very addresses of the checked one. */
#define HOST_HEAP_BASE ((uintptr_t)0x100000000000ull)   /* 16 TiB */

#define HOST_FD_CONTROL 3
#define HOST_FD_HEAP    4
#define HOST_FD_OPS     5

enum host_mode { MODE_CHECKED = 1, MODE_TIMED, MODE_TIMED_LIBC };

/* checker -> host */
enum down_msg {
    DOWN_INIT = 1,   /* reset the break, call my_init */
    DOWN_BATCH,      /* replay batch[0 .. arg) (ops arg2 ...): answers in batch_answer */
    DOWN_CHECK,      /* my_check_heap() */
    DOWN_WALK,       /* my_heap_walk() into the walk area */
    DOWN_SBRK_REPLY, /* answer to UP_SBRK: arg = old break offset, or -1 */
    DOWN_GO,         /* timed: start (my_init, then every op) */
};

/* host -> checker */
enum up_msg {
    UP_READY = 1,    /* sealed and waiting; arg = the functions it has (HAS_*) */
    UP_DONE,         /* a request is done: arg = result (offset, -1 for NULL, rc);
                        for a batch: arg = ops done, arg2 = 1 when it stopped before
                        op arg because that op's payload had lost its pattern, 2 when
                        my_check_heap failed after op arg - 1 (report: its text) */
    UP_SBRK,         /* mem_sbrk(arg) was called with the heap at arg2 bytes: grant? */
    UP_TIMED_DONE,   /* timed: arg = break, arg2 = ops that failed */
};

#define HAS_REALLOC 1u
#define HAS_CHECK   2u
#define HAS_WALK    4u

#define WALK_MAX     65536     /* blocks one walk may report */
#define BATCH_MAX    1024      /* ops one batch may carry */
#define REPORT_MAX   512       /* heap_report's message */

struct walk_entry { int64_t start, size, payload, slab_class; };   /* offsets; payload -1: free */

/* One message slot per direction; a message is published by bumping seq
 * last (release), and read after seeing the new seq (acquire). */
struct msg {
    uint32_t seq, type;
    int64_t arg, arg2;
};

struct control {
    /* written by the checker before exec, read-only by convention */
    uint32_t mode;
    uint32_t nops, nids;
    uint64_t heap_limit;        /* timed: the granted heap (the checked replay's break) */
    uint64_t page_size;

    struct msg down;            /* checker -> host */
    uint32_t host_sleeping;     /* futex hints: the host is (about to be) */
    uint32_t checker_sleeping;  /* in FUTEX_WAIT on the other side's seq */
    struct msg up;              /* host -> checker */

    /* a fatal signal in the host, noted by its handler (diagnosis only) */
    int32_t signo, syscall_nr;
    uint64_t fault_addr;
    int32_t syscall_from_student;
    uint64_t stack_lo, stack_hi;    /* where the host's stack is (set before the seal) */

    int64_t op_index;           /* the op the host is at (diagnosis only) */
    int64_t check_every;        /* batches: run my_check_heap after every N-th op (0: never) */
    int32_t check_rc;           /* a batch stopped by my_check_heap: what it returned */
    struct op batch[BATCH_MAX]; /* the ops of a DOWN_BATCH (trace.h) */
    int64_t batch_answer[BATCH_MAX];   /* each op's payload offset after it, -1: NULL */
    char report[REPORT_MAX];    /* heap_report's text for the last DOWN_CHECK */
    uint32_t walk_n;
    uint32_t walk_truncated;
    struct walk_entry walk[WALK_MAX];
    /* then, page-aligned: int64_t answers[nops] (timed mode) */
};

/* OPS holds the trace's struct op array (trace.h), as the checker read it. */

static inline uint64_t control_answers_offset(void)
{
    return ((uint64_t)sizeof(struct control) + 4095) & ~(uint64_t)4095;
}

static inline uint64_t control_size(uint32_t nops)
{
    return control_answers_offset() + ((uint64_t)nops * 8 + 4095) / 4096 * 4096;
}

#endif /* SLABLAB_PROTOCOL_H */
