/*
 * main.c -- the slablab driver, the CHECKER: replay traces against an
 * allocator, check every operation, measure utilization and throughput
 * against libc.
 *
 *   driver [-f TRACE]... [-t DIR] [--allocator PATH] [-V] [-c] [-l] [--json]
 *          [-T SECONDS] [--no-timing] [--samples N] [--heapdump] [--frames N]
 *          [--lint] [--quiet]
 *
 * This process holds no student code (protocol.h draws the boundary).  For
 * each trace it reads and validates the file, starts the allocator host
 * sealed and replays the trace twice through it, lock-step, with every
 * check (replay.h) done here, on the shared heap; then it times fresh hosts
 * of the allocator and of libc in alternating samples, verifying each timed
 * replay against the checked one.  Crashes, hangs and early exits become
 * diagnoses that name the operation, its trace line and, for faults, where
 * the address lies.  Every number it prints it computed itself.
 */
#include <dirent.h>
#include <libgen.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlib.h"
#include "my_alloc.h"
#include "replay.h"
#include "result.h"
#include "checked.h"
#include "heap_view.h"
#include "protocol.h"
#include "remote.h"
#include "seal.h"
#include "trace.h"

#define MIN_SAMPLE_SECONDS 0.01
#define DEFAULT_TIMEOUT 10.0

static void usage(FILE *f)
{
    fprintf(f,
        "usage: driver [-f TRACE]... [-t DIR] [options]\n"
        "  -f TRACE      replay this trace (repeatable)\n"
        "  -t DIR        replay every *.rep file in DIR, in name order\n"
        "  -V            verbose: heap checker after every op, progress on stderr\n"
        "  -c            call my_check_heap after every op\n"
        "  --check-every N  call my_check_heap after every N-th op (and the last):\n"
        "                a checker that walks the whole heap makes -V slow on long traces\n"
        "  -l            replay with libc malloc/free/realloc as the allocator\n"
        "  --json        one JSON document on stdout instead of the table\n"
        "  -T SECONDS    per-trace timeout (default %.0f)\n"
        "  --no-timing   skip the throughput measurement\n"
        "  --samples N   timing samples per allocator (default 5, at most %d)\n"
        "  --heapdump    add utilization over time and heap maps to the JSON\n"
        "  --lint        only validate each trace and print its statistics\n"
        "  --quiet       no table, exit status only\n"
        "  --allocator PATH  the allocator host to check (default: allocator beside this\n"
        "                driver, i.e. build/allocator, made by `make` from SUBMISSION)\n"
        "  --libc-host PATH  libc's host for the throughput baseline (default: libc-host\n"
        "                beside this driver)\n"
        "  --frames N    with --json: the heap after every op of traces of at most N ops\n"
        "To debug an allocator in gdb or valgrind, run the allocator itself:\n"
        "  build/allocator --debug -f TRACE [--break-at N]\n"
        "exit status: 0 all traces correct, 1 some trace failed, 2 usage error\n",
        DEFAULT_TIMEOUT, MAX_SAMPLES);
}

/* ---- the checked replays: lock-step with a sealed host ---------------------------------- */

static volatile long current_op = -1;   /* the op being replayed (replay.c publishes it) */
static int current_pass;                /* 1, 2: checked replays; 3: a timed replay */

/* The table replay.c calls: the host's functions, minus those it lacks. */
static struct allocator remote_table(const struct host *h)
{
    struct allocator a = remote_allocator;
    if (!(h->has & HAS_CHECK))
        a.check = NULL;
    if (!(h->has & HAS_WALK))
        a.walk = NULL;
    return a;
}

/* libc's functions, for -l: kit code, so replayed right here. */
static void *libc_alloc(size_t size) { return size ? malloc(size) : NULL; }
static int libc_init(void) { return 0; }
static const struct allocator libc_local = { "libc", 0, libc_init, libc_alloc, free, realloc, NULL, NULL };

/* Pass 1, the corruptor search, pass 2: the verdict of the checked replays. */
static int checked_passes(struct report *rep, struct replay *r, const struct allocator *a,
                          struct replay_error *err)
{
    const struct trace *t = &rep->trace;
    int (*replay)(struct replay *, const struct allocator *, int, struct replay_error *) =
        a->uses_heap ? checked_replay : replay_checked;
    r->run = replay;
    current_pass = 1;
    double t0 = mono_now();
    int first = replay(r, a, 1, err);
    if (first != 0 && strcmp(err->kind, "corrupted") == 0)
        replay_find_corruptor(r, a, err);
    if (first != 0)
        return -1;
    double checked = mono_now() - t0;
    rep->heap_size = mem_heapsize();
    if (a->uses_heap)
        rep->image_hash = heap_view_hash(rep->heap_size);
    rep->checked_rate = checked > 0 ? (double)t->nops / checked : 0;
    current_pass = 2;
    if (replay(r, a, 2, err) != 0) {
        /* The same requests passed every check a moment ago. */
        if (strcmp(err->kind, "reset") != 0) {
            struct replay_error first_err = *err;
            snprintf(err->kind, sizeof err->kind, "reset");
            snprintf(err->message, sizeof err->message, "the second replay (after my_init) failed "
                     "where the first passed, so my_init does not reset everything: %.480s",
                     first_err.message);
        }
        return -1;
    }
    if (a->uses_heap && mem_heapsize() != rep->heap_size) {
        snprintf(err->kind, sizeof err->kind, "reset");
        err->op = (long)t->nops - 1;
        snprintf(err->message, sizeof err->message, "the heap ended at %zu bytes in the second "
                 "replay but %llu in the first: my_init must reset all state", mem_heapsize(),
                 (unsigned long long)rep->heap_size);
        return -1;
    }
    return 0;
}

static void set_error(struct report *rep, const char *kind, long op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_error(struct report *rep, const char *kind, long op, const char *fmt, ...)
{
    rep->correct = 0;
    rep->util = -1;
    snprintf(rep->kind, sizeof rep->kind, "%s", kind);
    rep->op = op;
    rep->line = op >= 0 && (size_t)op < rep->trace.nops ? (long)rep->trace.lines[op] : -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->message, sizeof rep->message, fmt, ap);
    va_end(ap);
}

/* ---- diagnosis: how a host ended, in words a student can act on ------------------- */

/* Where a faulting address lies (addresses as the host saw them). */
static void describe_address(char *b, size_t n, uintptr_t a, const struct control *c)
{
    uintptr_t lo = HOST_HEAP_BASE, brk = lo + mem_heapsize();
    if (a < 4096)
        snprintf(b, n, "address %#lx: a NULL pointer dereference", (unsigned long)a);
    else if (a >= (uintptr_t)-4096)   /* e.g. the header word before a NULL payload */
        snprintf(b, n, "address %#lx (NULL - %lu): a NULL pointer dereference", (unsigned long)a,
                 (unsigned long)-a);
    else if (a >= lo && a < brk)
        snprintf(b, n, "address heap+%#lx, inside the heap", (unsigned long)(a - lo));
    else if (a >= brk && a - lo < MEM_MAX_HEAP)
        snprintf(b, n, "address heap+%#lx, %lu bytes past the break (the heap is %lu bytes)",
                 (unsigned long)(a - lo), (unsigned long)(a - brk), (unsigned long)(brk - lo));
    else if (a < lo && lo - a <= (1u << 20))
        snprintf(b, n, "address %#lx, %lu bytes before the start of the heap",
                 (unsigned long)a, (unsigned long)(lo - a));
    else if (a >= c->stack_lo && a < c->stack_hi)
        snprintf(b, n, "address %#lx, at the end of the stack: a stack overflow (runaway recursion?)",
                 (unsigned long)a);
    else
        snprintf(b, n, "address %#lx, far outside the heap", (unsigned long)a);
}

static const char *in_what(int pass)
{
    switch (pass) {
    case 2: return " of the second replay (after my_init: does my_init reset everything?)";
    case 3: return " of a timed replay";
    default: return "";
    }
}

static void diagnose_timeout(struct report *rep, const struct host *h, const struct options *o,
                             const char *op, const char *when, long at)
{
    double stuck = mono_now() - h->request_sent;
    if (at < 0 || stuck > 0.5 * o->timeout_s) {
        set_error(rep, "timeout", at, "no result after %.0f s: still in %s%s (an infinite loop, "
                  "e.g. a cycle in a free list?%s)", o->timeout_s, op, when,
                  o->check_heap && o->check_every == 1
                      ? " Or a heap checker after every op on a long trace: try --check-every 1000"
                        " or a larger -T" : "");
        return;
    }
    double done = (double)h->ops_done / 2 / (double)(rep->trace.nops ? rep->trace.nops : 1);
    set_error(rep, "timeout", at, "too slow: after %.0f s the checked replays had answered %ld "
              "requests (%.0f%% of the way), about %.0f requests a second, and were at %s%s. "
              "No operation was stuck: each returned, just slowly -- a search that walks the whole "
              "heap (an implicit list?) is too slow for a trace this long%s", o->timeout_s,
              h->ops_done, 100 * (done > 1 ? 1 : done), (double)h->ops_done / o->timeout_s, op, when,
              o->check_heap ? "; a heap checker after every op makes it slower still (try "
                              "--check-every 1000)" : "");
}

static void diagnose_host(struct report *rep, const struct host *h, const struct options *o)
{
    const struct control *c = &h->last;
    char op[160] = "setup or my_init (before the first request)", addr[200];
    long at = h->failed_op >= 0 ? h->failed_op : current_op;
    if (at >= 0)
        describe_op(op, sizeof op, &rep->trace, at);
    const char *when = in_what(current_pass);
    switch (h->end) {
    case HOST_TIMEOUT:
        diagnose_timeout(rep, h, o, op, when, at);
        return;
    case HOST_START_FAILED:
        set_error(rep, "internal", -1, "could not start the allocator host: %s", h->problem);
        return;
    case HOST_PROTOCOL:
        set_error(rep, "tamper", at, "the allocator host broke the protocol with the checker (%s) "
                  "during %s%s: the allocator wrote over the host's memory", h->problem, op, when);
        return;
    case HOST_EXITED:
        if (h->up_seen == 0) {   /* before READY: no student code had run (host.c, H1) */
            set_error(rep, "internal", -1, "the allocator host failed to start (exit status %d): "
                      "%.300s", WEXITSTATUS(h->status),
                      h->output_len ? "see its output" : "no output");
            return;
        }
        set_error(rep, "exit", at, "the allocator ended the process with exit(%d) during %s%s; "
                  "an allocator must return, never exit", WEXITSTATUS(h->status), op, when);
        return;
    case HOST_SIGNALED:
    case HOST_RUNNING:
        break;
    }
    int sig = WTERMSIG(h->status);
    const char *name = sigabbrev_np(sig);
    if (sig == SIGXCPU || (sig == SIGKILL && c->signo == SIGXCPU)) {
        set_error(rep, "limit", at, "CPU time limit exceeded during %s%s", op, when);
    } else if (sig == SIGSYS && c->syscall_nr < 0) {
        set_error(rep, "syscall", at, "forbidden system call: unknown (SIGSYS was blocked, so the "
                  "driver could not see which call) during %s%s", op, when);
    } else if (sig == SIGSYS) {
        set_error(rep, "syscall", at, "forbidden system call: %s (number %d)%s during %s%s",
                  syscall_name(c->syscall_nr), c->syscall_nr,
                  c->syscall_from_student
                      ? ", made directly by a syscall instruction in the program's code" : "",
                  op, when);
    } else if (sig == SIGSEGV || sig == SIGBUS) {
        describe_address(addr, sizeof addr, (uintptr_t)c->fault_addr, c);
        set_error(rep, "signal", at, "SIG%s at %s, during %s%s", name ? name : "?", addr, op, when);
    } else if (sig == SIGABRT) {
        set_error(rep, "signal", at, "SIGABRT: the allocator called abort() (a failed assert?) "
                  "during %s%s", op, when);
    } else if (sig == SIGKILL) {
        set_error(rep, "limit", at, "killed (SIGKILL: a resource limit, memory or CPU) during %s%s",
                  op, when);
    } else {
        set_error(rep, "signal", at, "SIG%s during %s%s", name ? name : "?", op, when);
    }
}

static void take_output(struct report *rep, struct host *h)
{
    rep->output = h->output;
    rep->output_len = h->output_len;
    rep->output_truncated = h->output_truncated;
    h->output = NULL;
}

/* One host, pass 1 and pass 2 (and the corruptor search): rep gets the
 * verdict, and the host's output when keep_output. */
static void checked_session(struct report *rep, struct replay *r, const struct options *o, int keep_output)
{
    struct host h;
    jmp_buf abort_point;
    struct replay_error err;
    memset(&err, 0, sizeof err);
    mem_reset();
    current_op = -1;
    current_pass = 1;
    if (host_start(&h, o->allocator, MODE_CHECKED, &rep->trace, -1, 0, mono_now() + o->timeout_s) != 0) {
        set_error(rep, "internal", -1, "could not start the allocator host: %s", h.problem);
        host_free(&h);
        return;
    }
    h.keep_output = keep_output;
    h.abort = &abort_point;
    remote_use(&h);
    if (setjmp(abort_point) == 0) {
        if (host_await_ready(&h) != 0)
            longjmp(abort_point, 1);
        struct allocator a = remote_table(&h);
        if (checked_passes(rep, r, &a, &err) == 0) {
            rep->correct = 1;
            rep->util = rep->heap_size ? (double)rep->trace.peak_payload / (double)rep->heap_size : -1;
        } else {
            set_error(rep, err.kind, err.op, "%s", err.message);
        }
        host_stop(&h);
    } else {
        host_stop(&h);
        diagnose_host(rep, &h, o);
    }
    rep->failed_pass = rep->correct ? 0 : current_pass;
    if (keep_output)
        take_output(rep, &h);
    host_free(&h);
}

/* Failures a batch can show later than the op that caused them: the host
 * ran on after an answer the checker then refused (an overlap, say) and
 * crashed, or wrote past the break and grew over it. */
static int refinable(const char *kind)
{
    static const char *const kinds[] = { "signal", "exit", "syscall", "past-break", "corrupted",
                                         "realloc-data", "checker", "limit" };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (strcmp(kind, kinds[k]) == 0)
            return 1;
    return 0;
}

/* The checked replays, batched; a failure is replayed again one op at a
 * time (the allocator is deterministic, C8), and the earlier of the two
 * verdicts stands: each is the first broken check of its own replay. */
static void checked_remote(struct report *rep, struct replay *r, const struct options *o)
{
    checked_session(rep, r, o, 1);
    if (rep->correct || !refinable(rep->kind))
        return;
    struct report again = *rep;
    again.output = NULL;
    again.correct = 0;
    r->one_by_one = 1;
    checked_session(&again, r, o, 0);
    r->one_by_one = 0;
    int earlier = !again.correct && strcmp(again.kind, "timeout") != 0 &&
                  strcmp(again.kind, "internal") != 0 &&
                  (again.failed_pass < rep->failed_pass ||
                   (again.failed_pass == rep->failed_pass && again.op <= rep->op));
    if (earlier) {
        memcpy(rep->kind, again.kind, sizeof rep->kind);
        memcpy(rep->message, again.message, sizeof rep->message);
        rep->op = again.op;
        rep->line = again.line;
        rep->failed_pass = again.failed_pass;
    }
}

/* ---- timed replays: fresh hosts, verified against the checked replay --------------- */

struct verify_ctx { const struct report *rep; const struct replay *r; char *why; size_t whylen; };

/* A timed round of the submission repeated its checked replay: the same
 * requests served, the same break, every answer and every heap byte the
 * same.  Then the heap is zeroed for the next round (its pages kept). */
static int verify_round(void *ctx, struct host *h, int64_t brk, int64_t failed)
{
    struct verify_ctx *v = ctx;
    const struct trace *t = &v->rep->trace;
    if (failed != 0) {
        snprintf(v->why, v->whylen, "a request failed in the timed replay that the checked one served");
        return -1;
    }
    if ((uint64_t)brk != v->rep->heap_size) {
        snprintf(v->why, v->whylen, "the timed replay ended with a heap of %lld bytes, the checked "
                 "one %llu", (long long)brk, (unsigned long long)v->rep->heap_size);
        return -1;
    }
    const int64_t *ans = host_answers(h);
    for (size_t i = 0; i < t->nops; i++)
        if (ans[i] != v->r->first_pass[i]) {
            char what[160];
            describe_op(what, sizeof what, t, (long)i);
            snprintf(v->why, v->whylen, "at %s the timed replay returned heap+%#llx where the checked "
                     "one returned heap+%#llx", what, (unsigned long long)ans[i],
                     (unsigned long long)v->r->first_pass[i]);
            return -1;
        }
    if (heap_view_hash(v->rep->heap_size) != v->rep->image_hash) {
        snprintf(v->why, v->whylen, "the timed replay left another heap image than the checked one "
                 "(same answers, other bytes)");
        return -1;
    }
    heap_view_zero(v->rep->heap_size);
    return 0;
}

/* One timed sample of the submission (or libc): its rate in ops/s, or -1
 * (then *why says why). */
static double timed_sample(struct report *rep, const struct replay *r, const struct options *o,
                           int libc, int ops_fd, double deadline, char *why, size_t whylen)
{
    const struct trace *t = &rep->trace;
    struct host h;
    uint64_t limit = libc ? 0 : rep->heap_size;
    if (!libc) {   /* a fresh heap of exactly the size the checked replay reached */
        heap_view_set_size(0);
        heap_view_set_size(limit);
    }
    if (host_start(&h, libc ? o->libc_host : o->allocator, libc ? MODE_TIMED_LIBC : MODE_TIMED, t,
                   ops_fd, limit, deadline) != 0) {
        snprintf(why, whylen, "could not start a timed replay: %s", h.problem);
        host_free(&h);
        return -1;
    }
    int64_t brk = 0, failed = 0;
    struct verify_ctx v = { rep, r, why, whylen };
    double dt = host_timed_run(&h, &brk, &failed, libc ? NULL : verify_round, &v);
    double rate = dt > 0 ? (double)t->nops / dt : -1;
    if (dt < 0 && !why[0]) {
        if (h.end == HOST_TIMEOUT)
            snprintf(why, whylen, "timeout");
        else if (h.end == HOST_PROTOCOL)
            snprintf(why, whylen, "%s", h.problem);
        else if (h.end == HOST_SIGNALED)
            snprintf(why, whylen, "the timed replay died of SIG%s", sigabbrev_np(WTERMSIG(h.status))
                     ? sigabbrev_np(WTERMSIG(h.status)) : "?");
        else
            snprintf(why, whylen, "the timed replay ended with exit(%d)", WEXITSTATUS(h.status));
    }
    host_free(&h);
    return rate;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summarize(double *v, int n, double out[3])
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    out[0] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    out[1] = v[0];
    out[2] = v[n - 1];
}

/* Alternate the allocator's and libc's timed replays (order swapped each
 * time) so that the machine's noise hits both alike. */
static void measure(struct report *rep, const struct replay *r, const struct options *o)
{
    const struct trace *t = &rep->trace;
    int ops_fd = memfd_create("slablab-ops", MFD_CLOEXEC);
    size_t len = t->nops * sizeof *t->ops;
    if (ops_fd < 0 || ftruncate(ops_fd, (off_t)len) != 0 || write(ops_fd, t->ops, len) != (ssize_t)len) {
        snprintf(rep->timing_note, sizeof rep->timing_note, "no timing: the driver could not share the trace");
        if (ops_fd >= 0)
            close(ops_fd);
        return;
    }
    double deadline = mono_now() + o->timeout_s;
    double rate[MAX_SAMPLES], libc_rate[MAX_SAMPLES], ratio[MAX_SAMPLES];
    int n = 0;
    current_pass = 3;
    /* At least --samples pairs; short traces get more (up to MAX_SAMPLES, or
     * a quarter second), since one replay of them is over in a millisecond. */
    double started = mono_now();
    int cap = o->samples * 3 < MAX_SAMPLES ? o->samples * 3 : MAX_SAMPLES;
    for (int s = 0; s < cap && (s < o->samples || mono_now() - started < 0.25); s++) {
        char why[300] = "", lwhy[300] = "";
        double mine, libc;
        if (s % 2 == 0) {
            mine = timed_sample(rep, r, o, 0, ops_fd, deadline, why, sizeof why);
            libc = mine > 0 ? timed_sample(rep, r, o, 1, ops_fd, deadline, lwhy, sizeof lwhy) : -1;
        } else {
            libc = timed_sample(rep, r, o, 1, ops_fd, deadline, lwhy, sizeof lwhy);
            mine = libc > 0 ? timed_sample(rep, r, o, 0, ops_fd, deadline, why, sizeof why) : -1;
        }
        if (why[0] && strcmp(why, "timeout") != 0) {   /* it did not repeat what it was checked doing */
            set_error(rep, "tamper", -1, "the timed replay did not repeat the checked replay: %s. An "
                      "allocator must answer the same requests the same way after my_init, and a "
                      "timed replay is verified against the checked one", why);
            n = 0;
            break;
        }
        if (why[0] || lwhy[0]) {
            snprintf(rep->timing_note, sizeof rep->timing_note, "%s", why[0]
                     ? "timing stopped: the allocator was too slow for its timed replays within -T; "
                       "its correctness and utilization stand, only throughput is not measured"
                     : "timing stopped: libc's timed replay failed");
            break;
        }
        rate[n] = mine;
        libc_rate[n] = libc;
        ratio[n] = mine / libc;
        n++;
    }
    close(ops_fd);
    rep->samples = n;
    if (n) {
        summarize(rate, n, rep->rate);
        summarize(libc_rate, n, rep->libc_rate);
        summarize(ratio, n, rep->ratio);
    }
}

static void run_trace(struct report *rep, const struct options *o)
{
    struct replay r;
    if (o->verbose)
        fprintf(stderr, "replaying %s (%zu ops)...\n", rep->path, rep->trace.nops);
    if (replay_init(&r, &rep->trace, &current_op) != 0) {
        set_error(rep, "internal", -1, "the driver is out of memory for this trace");
        return;
    }
    r.check_heap = o->check_heap;
    r.check_every = o->check_every;
    r.record = o->heapdump || o->frames;
    if (o->frames && rep->trace.nops <= (size_t)o->frames)
        r.frames = calloc(rep->trace.nops ? rep->trace.nops : 1, sizeof *r.frames);
    if (o->libc) {
        struct replay_error err;
        if (checked_passes(rep, &r, &libc_local, &err) == 0) {
            rep->correct = 1;
            rep->util = -1;
        } else {
            set_error(rep, err.kind, err.op, "%s", err.message);
        }
    } else {
        checked_remote(rep, &r, o);
        if (rep->correct)
            rep->replay_digest = replay_digest(r.first_pass, rep->trace.nops, rep->heap_size);
    }
    if (rep->correct && o->timing && !o->libc && rep->trace.nops > 0)
        measure(rep, &r, o);
    if (rep->correct && r.record) {   /* the pictures: the report takes them over */
        rep->series = r.series;
        rep->nseries = r.nseries;
        r.series = NULL;
        for (int m = 0; m < 2; m++) {
            rep->maps[m] = r.maps[m];
            r.maps[m].blocks = NULL;
        }
        rep->nmaps = 2;
    }
    if (r.frames) {   /* a failing trace's too: the ops before its failure */
        rep->frames = r.frames;
        r.frames = NULL;
        if (rep->frames && (rep->frame_offsets = malloc((rep->trace.nops + 1) * sizeof *rep->frame_offsets)))
            memcpy(rep->frame_offsets, r.first_pass, rep->trace.nops * sizeof *rep->frame_offsets);
    }
    replay_destroy(&r);
}

/* ---- command line ---------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int add_path(char ***paths, size_t *n, size_t *cap, const char *p)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        char **np = realloc(*paths, *cap * sizeof *np);
        if (!np)
            return -1;
        *paths = np;
    }
    (*paths)[(*n)++] = strdup(p);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(char ***paths, size_t *n, size_t *cap, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "driver: %s: cannot open directory: %s\n", dir, strerror(errno));
        return -1;
    }
    size_t first = *n;
    struct dirent *e;
    while ((e = readdir(d)))
        if (ends_with(e->d_name, ".rep") && e->d_name[0] != '.') {
            char buf[4096];
            snprintf(buf, sizeof buf, "%s/%s", dir, e->d_name);
            add_path(paths, n, cap, buf);
        }
    closedir(d);
    qsort(*paths + first, *n - first, sizeof **paths, cmp_str);
    if (*n == first) {
        fprintf(stderr, "driver: %s: no *.rep traces in this directory\n", dir);
        return -1;
    }
    return 0;
}

/* name, in the directory this driver's executable is in. */
static const char *beside_me(char *buf, size_t n, const char *name)
{
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return name;
    self[len] = '\0';
    snprintf(buf, n, "%s/%s", dirname(self), name);
    return buf;
}

int main(int argc, char **argv)
{
    struct options o = { .timing = 1, .samples = 5, .check_every = 1, .timeout_s = DEFAULT_TIMEOUT };
    char **paths = NULL;
    size_t npaths = 0, cap = 0;
    enum { OPT_JSON = 256, OPT_NO_TIMING, OPT_SAMPLES, OPT_HEAPDUMP, OPT_LINT, OPT_QUIET,
           OPT_CHECK_EVERY, OPT_ALLOCATOR, OPT_LIBC_HOST, OPT_FRAMES };
    static const struct option longopts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "no-timing", no_argument, NULL, OPT_NO_TIMING },
        { "samples", required_argument, NULL, OPT_SAMPLES },
        { "heapdump", no_argument, NULL, OPT_HEAPDUMP },
        { "lint", no_argument, NULL, OPT_LINT },
        { "quiet", no_argument, NULL, OPT_QUIET },
        { "allocator", required_argument, NULL, OPT_ALLOCATOR },
        { "libc-host", required_argument, NULL, OPT_LIBC_HOST },
        { "frames", required_argument, NULL, OPT_FRAMES },
        { "check-every", required_argument, NULL, OPT_CHECK_EVERY },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "f:t:VclT:h", longopts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 'f': add_path(&paths, &npaths, &cap, optarg); break;
        case 't': if (add_dir(&paths, &npaths, &cap, optarg)) return 2; break;
        case 'V': o.verbose = 1; o.check_heap = 1; break;
        case 'c': o.check_heap = 1; break;
        case 'l': o.libc = 1; break;
        case 'T':
            o.timeout_s = strtod(optarg, &end);
            if (*end || !(o.timeout_s > 0) || o.timeout_s > 86400) {
                fprintf(stderr, "driver: -T wants a number of seconds, got '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_JSON: o.json = 1; break;
        case OPT_NO_TIMING: o.timing = 0; break;
        case OPT_SAMPLES:
            o.samples = (int)strtol(optarg, &end, 10);
            if (*end || o.samples < 1 || o.samples > MAX_SAMPLES) {
                fprintf(stderr, "driver: --samples wants 1..%d, got '%s'\n", MAX_SAMPLES, optarg);
                return 2;
            }
            break;
        case OPT_HEAPDUMP: o.heapdump = 1; break;
        case OPT_LINT: o.lint = 1; break;
        case OPT_QUIET: o.quiet = 1; break;
        case OPT_ALLOCATOR: o.allocator = optarg; break;
        case OPT_LIBC_HOST: o.libc_host = optarg; break;
        case OPT_FRAMES:
            o.frames = strtol(optarg, &end, 10);
            if (*end || o.frames < 1) {
                fprintf(stderr, "driver: --frames wants a number of ops >= 1, got '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_CHECK_EVERY:
            o.check_every = strtol(optarg, &end, 10);
            if (*end || o.check_every < 1) {
                fprintf(stderr, "driver: --check-every wants a whole number >= 1, got '%s'\n", optarg);
                return 2;
            }
            o.check_heap = 1;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "driver: unexpected argument '%s' (traces are given with -f or -t)\n", argv[optind]);
        return 2;
    }
    if (npaths == 0) {
        fprintf(stderr, "driver: no traces: give -f TRACE or -t DIR\n");
        usage(stderr);
        return 2;
    }

    static char allocator_path[4096], libc_host_path[4096];
    if (!o.allocator)
        o.allocator = beside_me(allocator_path, sizeof allocator_path, "allocator");
    if (!o.libc_host)
        o.libc_host = beside_me(libc_host_path, sizeof libc_host_path, "libc-host");
    if (!o.lint && !o.libc && access(o.allocator, X_OK) != 0) {
        fprintf(stderr, "driver: no allocator to check at %s (build it with `make`, or give "
                "--allocator PATH)\n", o.allocator);
        return 2;
    }
    if (!o.lint && mem_init() != 0) {
        fprintf(stderr, "driver: could not make the shared heap: %s\n", strerror(errno));
        return 2;
    }

    struct report *reps = calloc(npaths, sizeof *reps);
    if (!reps)
        return 2;
    int all_ok = 1;
    for (size_t i = 0; i < npaths; i++) {
        struct report *rep = &reps[i];
        rep->path = paths[i];
        rep->util = rep->ceiling = -1;
        rep->op = rep->line = -1;
        char err[1024];
        if (trace_read(paths[i], &rep->trace, err, sizeof err) != 0) {
            snprintf(rep->kind, sizeof rep->kind, "trace");
            snprintf(rep->message, sizeof rep->message, "%s", err);
            if (o.lint || !o.json)
                fprintf(stderr, "%s\n", err);
            all_ok = 0;
            continue;
        }
        rep->ceiling = trace_ceiling(&rep->trace);
        if (o.lint) {
            print_lint(&rep->trace);
            continue;
        }
        run_trace(rep, &o);
        all_ok &= rep->correct;
    }
    if (!o.lint && !o.quiet) {
        if (o.json)
            print_json(reps, npaths, &o);
        else
            print_table(reps, npaths, &o);
    }
    for (size_t i = 0; i < npaths; i++) {
        trace_free(&reps[i].trace);
        free(reps[i].output);
        free(reps[i].series);
        free(reps[i].maps[0].blocks);
        free(reps[i].maps[1].blocks);
        if (reps[i].frames)
            for (size_t f = 0; f < reps[i].trace.nops; f++)
                free(reps[i].frames[f].blocks);
        free(reps[i].frames);
        free(reps[i].frame_offsets);
        free(paths[i]);
    }
    free(reps);
    free(paths);
    return all_ok ? 0 : 1;
}
