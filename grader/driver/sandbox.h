/*
 * sandbox.h -- running one trace's replay in a child process.
 *
 * The parent forks a child per trace.  The child runs the allocator; the
 * parent only watches.  What the parent learns comes from three places:
 *   - the result channel, a pipe on which the child writes records
 *     (struct record_header + payload), ending with RECORD_DONE;
 *   - the child's stdout and stderr, captured (capped) for the report;
 *   - a shared "progress" page the child updates (the op being replayed, and
 *     on a fatal signal the signal and faulting address) so that a crash,
 *     a hang or an exit() can be pinned to an operation.
 * A child that crashes, hangs (timeout), exits early or breaks a resource
 * limit costs only its own trace.
 */
#ifndef SLABLAB_SANDBOX_H
#define SLABLAB_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

struct progress {
    volatile long op;                /* index of the op being replayed, -1 before the first */
    volatile int pass;               /* 1, 2: checked replays; 3: timing */
    volatile int signo;              /* fatal signal caught in the child, or 0 */
    volatile int syscall_nr;         /* for SIGSYS: the forbidden system call */
    volatile uintptr_t fault_addr;   /* si_addr of that signal */
    volatile uintptr_t heap_lo, brk; /* the heap when it happened */
    volatile uintptr_t stack_lo, stack_hi;
};

enum record_type { RECORD_RESULT = 1, RECORD_SERIES, RECORD_MAP, RECORD_DONE };

struct record_header { uint32_t magic, type; uint64_t len; };
#define RECORD_MAGIC 0x5b1ab1abu

enum child_end { CHILD_DONE, CHILD_SIGNALED, CHILD_TIMEOUT, CHILD_EXITED };

struct child_outcome {
    enum child_end end;
    int signo;              /* CHILD_SIGNALED: the signal that ended it */
    int exit_status;        /* CHILD_EXITED: its status */
    struct progress progress;
    char *results;          /* bytes written on the result channel */
    size_t results_len;
    char *output;           /* stdout + stderr, at most OUTPUT_CAP bytes */
    size_t output_len;
    int output_truncated;
    double seconds;
};

#define OUTPUT_CAP (64 * 1024)

struct sandbox_limits {
    double timeout_s;       /* wall clock */
    size_t address_space;   /* RLIMIT_AS, bytes */
};

/* What the child runs: write records to fd with record_write, return to end. */
typedef void child_main_fn(void *arg, int fd, struct progress *progress);

/* Fork, run fn in the child under limits, collect everything. Returns -1 only
 * when the child could not be started (then errno says why). */
int sandbox_run(child_main_fn *fn, void *arg, const struct sandbox_limits *limits,
                struct child_outcome *out);
void child_outcome_free(struct child_outcome *out);

/* In the child: write one record (0, or -1 if the parent is gone). */
int record_write(int fd, uint32_t type, const void *data, size_t len);

/* In the parent: iterate over the records in a result buffer.  *pos starts at
 * 0; returns 1 and sets type/data/len for the next record, 0 at the end, -1 on
 * a malformed record. */
int record_next(const char *buf, size_t len, size_t *pos, uint32_t *type,
                const char **data, size_t *dlen);

/* In the child, once setup is done and before the allocator runs: forbid
 * everything the replay does not need (see sandbox.c).  The result channel
 * moves to another descriptor: returns its new number, or -1 on failure. */
int sandbox_seal(int result_fd);

/* True when addr lies in the program's own code (not libc): a system call
 * made from there is a raw syscall instruction (same addresses in parent and
 * child: the child is a fork). */
int sandbox_in_own_code(uintptr_t addr);

/* The name of system call number nr ("open", "fork", ...), or "unknown". */
const char *sandbox_syscall_name(int nr);

#endif /* SLABLAB_SANDBOX_H */
