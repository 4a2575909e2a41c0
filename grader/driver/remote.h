/*
 * remote.h -- the checker's handle on one allocator host process (remote.c).
 */
#ifndef SLABLAB_REMOTE_H
#define SLABLAB_REMOTE_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"
#include "replay.h"
#include "trace.h"

enum host_end {
    HOST_RUNNING,
    HOST_SIGNALED,     /* killed by a signal (status says which) */
    HOST_EXITED,       /* exited by itself (status says how) */
    HOST_TIMEOUT,      /* the deadline passed */
    HOST_PROTOCOL,     /* it posted a message the protocol does not allow */
    HOST_START_FAILED,
};

#define HOST_OUTPUT_CAP (64 * 1024)

struct host {
    pid_t pid;
    int pidfd, out_fd;
    struct control *ctl;
    size_t ctl_size;
    uint32_t down_sent, up_seen, has;
    double started, deadline, request_sent;
    long ops_done;                   /* ops answered (for a timeout's message) */
    long batch_first, batch_n;       /* the batch in flight, if batch_n > 0 */
    long failed_op;                  /* the op the host was at when it failed, or -1 */
    long slack_op, slack_off;        /* a write past the break seen at a mem_sbrk */
    size_t slack_heap;
    enum host_end end;
    int status;                      /* waitpid status once reaped */
    char problem[160];               /* HOST_PROTOCOL / HOST_START_FAILED: what */
    struct control last;             /* the control page's diagnosis fields at the end */
    char *output;                    /* stdout + stderr, at most HOST_OUTPUT_CAP bytes */
    size_t output_len;
    int output_truncated;
    int keep_output;
    jmp_buf *abort;                  /* remote calls longjmp here when the host fails */
};

struct host_limits { double timeout_s; size_t address_space; };

/* Start path as an allocator host in mode for trace t (ops_fd: its requests,
 * or -1).  heap_limit: the heap granted up front (timed mode).  Returns 0, or
 * -1 with h->end = HOST_START_FAILED and h->problem set. */
int host_start(struct host *h, const char *path, enum host_mode mode, const struct trace *t,
               int ops_fd, uint64_t heap_limit, double deadline);

/* Wait for the host's first message (READY); 0, or -1 with h->end set. */
int host_await_ready(struct host *h);

/* Kill (if running), reap, collect the rest of its output. */
void host_stop(struct host *h);
void host_free(struct host *h);

/* The allocator table that reaches the current host: init, check and walk
 * (the ops themselves go in batches, checked.c).  A call whose host fails
 * longjmps to current->abort. */
extern const struct allocator remote_allocator;
void remote_use(struct host *h);
struct host *remote_current(void);

/* Send one request, serve the host's mem_sbrk requests on the way, return
 * its answer (longjmps when the host fails). */
int64_t remote_request(struct host *h, uint32_t type, int64_t arg, int64_t arg2);

/* Abandon the host for breaking the protocol (longjmps). */
void remote_protocol_error(struct host *h, const char *what) __attribute__((noreturn));

/* Checks one timed round (answers, heap) once it is done: 0 when it
 * repeated the checked replay.  It may reset the heap for the next round. */
typedef int timed_verify_fn(void *ctx, struct host *h, int64_t brk, int64_t failed);

/* Timed replays in a fresh host: a warm-up round and the timed one, each
 * checked by verify (NULL: libc).  Returns the timed round's seconds (the
 * checker's clock, from GO to DONE), or -1 with h->end set, or -1 with
 * h->end == HOST_RUNNING when verify refused a round. */
double host_timed_run(struct host *h, int64_t *brk, int64_t *failed, timed_verify_fn *verify,
                      void *ctx);

/* The answers a timed host wrote (valid after host_timed_run). */
const int64_t *host_answers(const struct host *h);

/* Monotonic clock in seconds. */
double mono_now(void);

#endif /* SLABLAB_REMOTE_H */
