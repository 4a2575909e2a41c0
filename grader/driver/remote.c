/*
 * remote.c -- starting an allocator host and talking to it (protocol.h).
 *
 * The checker side of the boundary.  A host is exec'd, never merely forked:
 * it must not inherit the checker's memory (other traces, hidden ones among
 * them), its environment or its descriptors.  In the child, between fork
 * and exec, only kit code runs: descriptors 3-5 are put in place and every
 * other one closed, resource limits set, ASLR turned off (a fresh host must
 * see the addresses of the last one), and the child dies with the checker.
 *
 * Every wait is bounded by the trace's deadline, drains the host's output
 * (so a chatty host never blocks on a full pipe) and notices a host that
 * died.  A remote call that cannot complete longjmps to the caller's abort
 * point with h->end saying why; the caller turns that into a verdict.
 */
#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "heap_view.h"
#include "memlib.h"

double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- starting -------------------------------------------------------------------- */

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = { soft, hard };
    setrlimit(resource, &rl);
}

/* In the child: fds[i] becomes descriptor 3 + i (or is left closed when -1). */
static void place_descriptors(const int fds[3], int out_fd)
{
    int high[3];
    for (int i = 0; i < 3; i++)
        high[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD, 100) : -1;
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    for (int i = 0; i < 3; i++)
        if (high[i] >= 0)
            dup2(high[i], 3 + i);
    syscall(SYS_close_range, 3 + 3, ~0u, 0);
}

static void child_exec(const char *path, const int fds[3], int out_fd, double timeout_s)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    place_descriptors(fds, out_fd);
    rlim_t cpu = (rlim_t)timeout_s + 2;
    set_limit(RLIMIT_CPU, cpu, cpu + 1);            /* SIGXCPU first, SIGKILL a second later */
    set_limit(RLIMIT_AS, MEM_MAX_HEAP * 2 + ((rlim_t)1 << 30), MEM_MAX_HEAP * 2 + ((rlim_t)1 << 30));
    set_limit(RLIMIT_FSIZE, 0, 0);
    set_limit(RLIMIT_CORE, 0, 0);
    set_limit(RLIMIT_NPROC, 0, 0);
    set_limit(RLIMIT_NOFILE, 16, 16);
    personality(ADDR_NO_RANDOMIZE);
    char *argv[] = { "allocator", "--sealed-host", NULL };
    char *envp[] = { NULL };
    execve(path, argv, envp);
    dprintf(STDERR_FILENO, "cannot run the allocator %s: %s\n", path, strerror(errno));
    _exit(127);
}

int host_start(struct host *h, const char *path, enum host_mode mode, const struct trace *t,
               int ops_fd, uint64_t heap_limit, double deadline)
{
    memset(h, 0, sizeof *h);
    h->pid = -1;
    h->pidfd = h->out_fd = -1;
    h->failed_op = h->slack_op = -1;
    h->deadline = deadline;
    h->end = HOST_START_FAILED;
    h->ctl_size = control_size((uint32_t)t->nops);
    int ctl_fd = memfd_create("slablab-control", MFD_CLOEXEC);
    if (ctl_fd < 0 || ftruncate(ctl_fd, (off_t)h->ctl_size) != 0) {
        snprintf(h->problem, sizeof h->problem, "cannot make the control page: %s", strerror(errno));
        if (ctl_fd >= 0)
            close(ctl_fd);
        return -1;
    }
    void *c = mmap(NULL, h->ctl_size, PROT_READ | PROT_WRITE, MAP_SHARED, ctl_fd, 0);
    if (c == MAP_FAILED) {
        snprintf(h->problem, sizeof h->problem, "cannot map the control page: %s", strerror(errno));
        close(ctl_fd);
        return -1;
    }
    h->ctl = c;
    h->ctl->mode = mode;
    h->ctl->nops = (uint32_t)t->nops;
    h->ctl->nids = (uint32_t)t->nids;
    h->ctl->heap_limit = heap_limit;
    h->ctl->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        snprintf(h->problem, sizeof h->problem, "cannot make a pipe: %s", strerror(errno));
        close(ctl_fd);
        return -1;
    }
    fflush(NULL);
    h->started = mono_now();
    pid_t pid = fork();
    if (pid == 0) {
        int fds[3] = { ctl_fd, heap_view_fd(), ops_fd };
        child_exec(path, fds, out[1], deadline - h->started);
    }
    close(ctl_fd);
    close(out[1]);
    if (pid < 0) {
        snprintf(h->problem, sizeof h->problem, "cannot fork: %s", strerror(errno));
        close(out[0]);
        return -1;
    }
    setpgid(pid, pid);   /* also done by the child: whichever runs first wins */
    h->pid = pid;
    h->out_fd = out[0];
    fcntl(h->out_fd, F_SETFL, O_NONBLOCK);
    h->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    h->end = HOST_RUNNING;
    return 0;
}

/* ---- watching ---------------------------------------------------------------------- */

static void drain_output(struct host *h)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(h->out_fd, chunk, sizeof chunk);
        if (n <= 0)
            return;
        if (!h->keep_output)
            continue;
        size_t keep = h->output_len + (size_t)n > HOST_OUTPUT_CAP ? HOST_OUTPUT_CAP - h->output_len : (size_t)n;
        if (keep < (size_t)n)
            h->output_truncated = 1;
        if (!keep)
            continue;
        if (!h->output && !(h->output = malloc(HOST_OUTPUT_CAP)))
            continue;
        memcpy(h->output + h->output_len, chunk, keep);
        h->output_len += keep;
    }
}

static void note_end(struct host *h, int status)
{
    h->status = status;
    h->end = WIFSIGNALED(status) ? HOST_SIGNALED : HOST_EXITED;
    memcpy(&h->last, (const void *)h->ctl, offsetof(struct control, walk));
}

/* 1 when the host has ended (then reaped, h->end set), 0 while it runs. */
static int host_ended(struct host *h)
{
    int status;
    if (h->end != HOST_RUNNING)
        return 1;
    if (waitpid(h->pid, &status, WNOHANG) != h->pid)
        return 0;
    h->pid = -1;
    note_end(h, status);
    return 1;
}

static void protocol_error(struct host *h, const char *what)
{
    if (h->end == HOST_RUNNING) {
        h->end = HOST_PROTOCOL;
        snprintf(h->problem, sizeof h->problem, "%s", what);
    }
}

/* Wait for the host's next message; 0, or -1 with h->end set. */
static int await_up(struct host *h)
{
    struct timespec slice = { 0, 1000000 };
    for (;;) {
        uint32_t s = seq_load(&h->ctl->up);
        if (s != h->up_seen) {
            if (s != h->up_seen + 1) {
                protocol_error(h, "a message out of sequence");
                return -1;
            }
            h->up_seen = s;
            return 0;
        }
        if (msg_wait_change(&h->ctl->up, h->up_seen, &h->ctl->checker_sleeping, &slice) != h->up_seen)
            continue;
        drain_output(h);
        if (host_ended(h))
            return -1;
        if (mono_now() > h->deadline) {
            h->end = HOST_TIMEOUT;
            return -1;
        }
    }
}

int host_await_ready(struct host *h)
{
    if (await_up(h) != 0)
        return -1;
    if (h->ctl->up.type != UP_READY) {
        protocol_error(h, "a first message that is not READY");
        return -1;
    }
    h->has = (uint32_t)h->ctl->up.arg & (HAS_REALLOC | HAS_CHECK | HAS_WALK);
    return 0;
}

void host_stop(struct host *h)
{
    if (h->pid > 0) {
        kill(-h->pid, SIGKILL);
        kill(h->pid, SIGKILL);
        int status;
        waitpid(h->pid, &status, 0);
        if (h->end == HOST_RUNNING)
            note_end(h, status);
        h->pid = -1;
    }
    if (h->out_fd >= 0) {
        drain_output(h);
        close(h->out_fd);
        h->out_fd = -1;
    }
    if (h->pidfd >= 0) {
        close(h->pidfd);
        h->pidfd = -1;
    }
}

void host_free(struct host *h)
{
    host_stop(h);
    if (h->ctl)
        munmap(h->ctl, h->ctl_size);
    h->ctl = NULL;
    free(h->output);
    h->output = NULL;
}

/* ---- the remote allocator -------------------------------------------------------------- */

static struct host *current;
static char report_copy[REPORT_MAX];

void remote_use(struct host *h) { current = h; }

struct host *remote_current(void) { return current; }

/* The op a failing host was at: its own word, believed only inside the batch. */
static void note_failed_op(struct host *h)
{
    long at = (long)h->ctl->op_index;
    h->failed_op = h->batch_n > 0 && at >= h->batch_first && at < h->batch_first + h->batch_n
                   ? at : (h->batch_n > 0 ? h->batch_first : -1);
}

void remote_protocol_error(struct host *h, const char *what)
{
    protocol_error(h, what);
    note_failed_op(h);
    longjmp(*h->abort, 1);
}

/* mem_sbrk(incr) with the heap at old bytes: first the slack that is about
 * to become heap must be clean (C6), then grant it or not. */
static int grant(struct host *h, int64_t incr, int64_t old)
{
    long past = mem_slack_written();
    if (past >= 0 && h->slack_op < 0) {
        note_failed_op(h);
        h->slack_op = h->failed_op;
        h->slack_off = past;
        h->slack_heap = mem_heapsize();
        h->failed_op = -1;
    }
    return heap_view_grant((size_t)old, (size_t)incr) == 0;
}

int64_t remote_request(struct host *h, uint32_t type, int64_t arg, int64_t arg2)
{
    struct control *c = h->ctl;
    h->request_sent = mono_now();
    msg_post(&c->down, ++h->down_sent, type, arg, arg2, &c->host_sleeping);
    for (;;) {
        if (await_up(h) != 0) {
            note_failed_op(h);
            longjmp(*h->abort, 1);
        }
        struct msg m = c->up;
        if (m.type == UP_SBRK) {
            int ok = grant(h, m.arg, m.arg2);
            msg_post(&c->down, ++h->down_sent, DOWN_SBRK_REPLY, ok ? 0 : -1, 0, &c->host_sleeping);
            continue;
        }
        if (m.type != UP_DONE)
            remote_protocol_error(h, "an answer of an unknown type");
        h->ops_done += type == DOWN_BATCH ? (long)m.arg : 0;
        return m.arg;
    }
}

static char *heap_ptr(int64_t off)
{
    return off == -1 ? NULL : (char *)((uintptr_t)mem_heap_lo() + (uintptr_t)off);
}

static int remote_init(void) { return (int)remote_request(current, DOWN_INIT, 0, 0); }

static int remote_check(void)
{
    int rc = (int)remote_request(current, DOWN_CHECK, 0, 0);
    memcpy(report_copy, current->ctl->report, sizeof report_copy);
    report_copy[sizeof report_copy - 1] = '\0';
    return rc;
}

/* The walk is the allocator's own account, for pictures only: entries that
 * do not lie inside the heap are dropped, never believed. */
static void remote_walk(heap_visit_fn *visit, void *ctx)
{
    int64_t n = remote_request(current, DOWN_WALK, 0, 0);
    int64_t size = (int64_t)mem_heapsize();
    for (int64_t i = 0; i < n && i < WALK_MAX; i++) {
        struct walk_entry e = current->ctl->walk[i];
        int inside = e.start >= 0 && e.size >= 0 && e.start <= size && e.size <= size - e.start;
        int payload_ok = e.payload == -1 || (e.payload >= e.start && e.payload <= e.start + e.size);
        if (!inside || !payload_ok || e.slab_class < 0)
            continue;
        struct heap_block b = { heap_ptr(e.start), (size_t)e.size, heap_ptr(e.payload), (size_t)e.slab_class };
        visit(ctx, &b);
    }
}

/* The checker's heap_report_message: the host's text, copied and terminated. */
const char *heap_report_message(void) { return report_copy; }
void heap_report_clear(void) { report_copy[0] = '\0'; }

/* alloc, free and realloc stay NULL: ops travel in batches (checked.c). */
const struct allocator remote_allocator = {
    "my_alloc", 1, remote_init, NULL, NULL, NULL, remote_check, remote_walk,
};

/* ---- a timed replay ----------------------------------------------------------------------- */

#define ANSWER_UNSET INT64_MIN

/* One round: GO, then DONE; its seconds by the checker's clock, or -1. */
static double timed_round(struct host *h, int64_t *brk, int64_t *failed)
{
    int64_t *answers = (int64_t *)((char *)h->ctl + control_answers_offset());
    for (uint32_t i = 0; i < h->ctl->nops; i++)
        answers[i] = ANSWER_UNSET;
    double t0 = mono_now();
    msg_post(&h->ctl->down, ++h->down_sent, DOWN_GO, 0, 0, &h->ctl->host_sleeping);
    /* Watch for DONE without sleeping, so that no wake-up latency is timed;
     * yielding, so that on a busy machine the watch steals no core. */
    for (long spins = 0; seq_load(&h->ctl->up) == h->up_seen; spins++) {
        cpu_relax();
        if (spins % 256 == 255)
            sched_yield();
        if (spins % 8192 == 8191) {
            drain_output(h);
            if (host_ended(h) || mono_now() > h->deadline)
                break;
        }
    }
    double t1 = mono_now();
    if (await_up(h) != 0)
        return -1;
    struct msg m = h->ctl->up;
    if (m.type != UP_TIMED_DONE) {
        protocol_error(h, "a timed replay that reported something else than its end");
        return -1;
    }
    /* DONE is the host's word, so it is checked at once: every answer must
     * be in already.  (A host that said DONE early would still be writing
     * them; to have them all in place it must have done the work.) */
    for (uint32_t i = 0; i < h->ctl->nops && h->ctl->mode == MODE_TIMED; i++)
        if (answers[i] == ANSWER_UNSET) {
            protocol_error(h, "a timed replay that said it was done before its last answer");
            return -1;
        }
    *brk = m.arg;
    *failed = m.arg2;
    return t1 - t0;
}

double host_timed_run(struct host *h, int64_t *brk, int64_t *failed, timed_verify_fn *verify,
                      void *ctx)
{
    if (host_await_ready(h) != 0)
        return -1;
    double dt = -1;
    for (int round = 0; round < 2; round++) {
        dt = timed_round(h, brk, failed);
        if (dt < 0 || (verify && verify(ctx, h, *brk, *failed) != 0))
            return -1;
    }
    /* Then it must end, by itself and well. */
    struct pollfd p = { h->pidfd, POLLIN, 0 };
    while (!host_ended(h)) {
        double left = h->deadline - mono_now();
        if (left <= 0) {
            h->end = HOST_TIMEOUT;
            return -1;
        }
        drain_output(h);
        poll(&p, 1, left > 0.05 ? 50 : (int)(left * 1000) + 1);
    }
    if (h->end != HOST_EXITED || WEXITSTATUS(h->status) != 0)
        return -1;
    return dt;
}

const int64_t *host_answers(const struct host *h)
{
    return (const int64_t *)((const char *)h->ctl + control_answers_offset());
}
