/*
 * main.c -- the slablab driver: replay traces against an allocator, check
 * every operation, measure utilization and throughput against libc.
 *
 *   driver [-f TRACE]... [-t DIR] [-V] [-c] [-l] [--json] [-T SECONDS]
 *          [--no-timing] [--samples N] [--heapdump] [--lint] [--quiet]
 *          [--replay-only]
 *
 * For each trace: the parent reads and validates it, then a sandboxed child
 * (sandbox.h) replays it twice with every check (replay.h), measures the
 * unchecked replay against libc in alternating samples, and reports back.
 * The parent turns crashes, hangs and early exits into diagnoses that name
 * the operation, its trace line and, for faults, where the address lies.
 */
#include <dirent.h>
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
#include "sandbox.h"
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
        "  --replay-only replay each trace once, unchecked and untimed, in this process\n"
        "                (no child, no sandbox): for counting instructions under valgrind\n"
        "exit status: 0 all traces correct, 1 some trace failed, 2 usage error\n",
        DEFAULT_TIMEOUT, MAX_SAMPLES);
}

/* ---- in the child ------------------------------------------------------------ */

struct job {
    const struct trace *trace;
    const struct allocator *alloc;
    const struct options *opts;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Operations per second over enough replays to last MIN_SAMPLE_SECONDS. */
static double sample_rate(struct replay *r, const struct allocator *a)
{
    double busy = 0, wall_start = now_seconds();
    long reps = 0;
    do {
        double dt = replay_timed(r, a);
        if (dt < 0)
            return -1;
        busy += dt;
        reps++;
    } while (busy < MIN_SAMPLE_SECONDS && now_seconds() - wall_start < 0.25);
    return busy > 0 ? (double)reps * (double)r->t->nops / busy : 0;
}

/* Alternate allocator and libc samples (order swapped each time) so that the
 * machine's noise hits both alike; stop early if the time budget runs out. */
static void measure(struct replay *r, const struct job *j, double started, struct trace_result *res)
{
    double budget = j->opts->timeout_s * 0.6;
    for (int s = 0; s < j->opts->samples; s++) {
        double mine, libc;
        if (s % 2 == 0) {
            mine = sample_rate(r, j->alloc);
            libc = sample_rate(r, &libc_allocator);
        } else {
            libc = sample_rate(r, &libc_allocator);
            mine = sample_rate(r, j->alloc);
        }
        if (mine < 0 || libc < 0)
            break;
        res->rate[s] = mine;
        res->libc_rate[s] = libc;
        res->samples = s + 1;
        if (now_seconds() - started > budget)
            break;
    }
}

static void child_main(void *arg, int fd, struct progress *pg)
{
    const struct job *j = arg;
    double started = now_seconds();
    struct trace_result res;
    memset(&res, 0, sizeof res);
    struct replay r;
    if ((j->alloc->uses_heap && mem_init() != 0) || replay_init(&r, j->trace, &pg->op) != 0) {
        snprintf(res.err.kind, sizeof res.err.kind, "internal");
        snprintf(res.err.message, sizeof res.err.message, "the driver could not set up the heap");
        res.err.op = -1;
        record_write(fd, RECORD_RESULT, &res, sizeof res);
        record_write(fd, RECORD_DONE, NULL, 0);
        return;
    }
    r.check_heap = j->opts->check_heap;
    r.check_every = j->opts->check_every;
    r.record = j->opts->heapdump;
    int sealed_fd = sandbox_seal(fd);   /* the result channel moves to a hidden fd */
    if (sealed_fd < 0) {
        snprintf(res.err.kind, sizeof res.err.kind, "internal");
        snprintf(res.err.message, sizeof res.err.message, "the driver could not seal its sandbox");
        res.err.op = -1;
    } else {
        fd = sealed_fd;
        pg->pass = 1;
        double t0 = now_seconds();
        int first = replay_checked(&r, j->alloc, 1, &res.err);
        if (first != 0 && strcmp(res.err.kind, "corrupted") == 0)
            replay_find_corruptor(&r, j->alloc, &res.err);
        if (first == 0) {
            res.checked_seconds = now_seconds() - t0;
            res.heap_size = mem_heapsize();
            pg->pass = 2;
            if (replay_checked(&r, j->alloc, 2, &res.err) != 0) {
                /* The same requests passed every check a moment ago. */
                if (strcmp(res.err.kind, "reset") != 0) {
                    struct replay_error first = res.err;
                    snprintf(res.err.kind, sizeof res.err.kind, "reset");
                    snprintf(res.err.message, sizeof res.err.message, "the second replay (after "
                             "my_init) failed where the first passed, so my_init does not reset "
                             "everything: %.480s", first.message);
                }
            } else {
                if (j->alloc->uses_heap && mem_heapsize() != res.heap_size) {
                    snprintf(res.err.kind, sizeof res.err.kind, "reset");
                    res.err.op = (long)j->trace->nops - 1;
                    snprintf(res.err.message, sizeof res.err.message,
                             "the heap ended at %zu bytes in the second replay but %llu in the first: "
                             "my_init must reset all state", mem_heapsize(),
                             (unsigned long long)res.heap_size);
                } else {
                    res.correct = 1;
                }
            }
        }
        if (res.correct && j->opts->timing && j->trace->nops > 0) {   /* nothing to time in an empty trace */
            pg->pass = 3;
            measure(&r, j, started, &res);
        }
    }
    pg->op = -1;
    record_write(fd, RECORD_RESULT, &res, sizeof res);
    if (res.correct && j->opts->heapdump) {
        record_write(fd, RECORD_SERIES, r.series, r.nseries * sizeof *r.series);
        for (int m = 0; m < 2; m++) {
            struct heap_map *hm = &r.maps[m];
            size_t len = 3 * sizeof(uint64_t) + hm->n * sizeof *hm->blocks;
            char *buf = malloc(len);
            if (!buf)
                continue;
            uint64_t head[3] = { hm->op, (uint64_t)hm->walk, hm->heap_size };
            memcpy(buf, head, sizeof head);
            memcpy(buf + sizeof head, hm->blocks, hm->n * sizeof *hm->blocks);
            record_write(fd, RECORD_MAP, buf, len);
            free(buf);
        }
    }
    record_write(fd, RECORD_DONE, NULL, 0);
}

/* ---- in the parent: diagnosis --------------------------------------------------- */

static void set_error(struct report *rep, const char *kind, long op, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_error(struct report *rep, const char *kind, long op, const char *fmt, ...)
{
    rep->correct = 0;
    snprintf(rep->kind, sizeof rep->kind, "%s", kind);
    rep->op = op;
    rep->line = op >= 0 && (size_t)op < rep->trace.nops ? (long)rep->trace.lines[op] : -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->message, sizeof rep->message, fmt, ap);
    va_end(ap);
}

/* Where a faulting address lies, in words a student can act on. */
static void describe_address(char *b, size_t n, const struct progress *pg)
{
    uintptr_t a = pg->fault_addr, lo = pg->heap_lo, brk = pg->brk;
    if (a < 4096)
        snprintf(b, n, "address %#lx: a NULL pointer dereference", (unsigned long)a);
    else if (a >= (uintptr_t)-4096)   /* e.g. the header word before a NULL payload */
        snprintf(b, n, "address %#lx (NULL - %lu): a NULL pointer dereference", (unsigned long)a,
                 (unsigned long)-a);
    else if (lo && a >= lo && a < brk)
        snprintf(b, n, "address heap+%#lx, inside the heap", (unsigned long)(a - lo));
    else if (lo && a >= brk && a - lo < MEM_MAX_HEAP)
        snprintf(b, n, "address heap+%#lx, %lu bytes past the break (the heap is %lu bytes)",
                 (unsigned long)(a - lo), (unsigned long)(a - brk), (unsigned long)(brk - lo));
    else if (lo && a < lo && lo - a <= (1u << 20))
        snprintf(b, n, "address %#lx, %lu bytes before the start of the heap",
                 (unsigned long)a, (unsigned long)(lo - a));
    else if (a >= pg->stack_lo && a < pg->stack_hi)
        snprintf(b, n, "address %#lx, at the end of the stack: a stack overflow (runaway recursion?)",
                 (unsigned long)a);
    else
        snprintf(b, n, "address %#lx, far outside the heap", (unsigned long)a);
}

static const char *in_what(const struct progress *pg)
{
    switch (pg->pass) {
    case 2: return " of the second replay (after my_init: does my_init reset everything?)";
    case 3: return " of an unchecked timing replay";
    default: return "";
    }
}

static void diagnose_crash(struct report *rep, const struct child_outcome *c, const struct options *o)
{
    const struct progress *pg = &c->progress;
    char op[160] = "setup or my_init (before the first request)", addr[200];
    if (pg->op >= 0)
        describe_op(op, sizeof op, &rep->trace, pg->op);
    const char *when = in_what(pg);
    long at = pg->op;
    switch (c->end) {
    case CHILD_TIMEOUT:
        set_error(rep, "timeout", at, "no result after %.0f s: still in %s%s (an infinite loop, "
                  "e.g. a cycle in a free list?%s)", o->timeout_s, op, when,
                  o->check_heap && o->check_every == 1
                      ? " Or a heap checker after every op on a long trace: try --check-every 1000"
                        " or a larger -T" : "");
        return;
    case CHILD_EXITED:
        set_error(rep, "exit", at, "the allocator ended the process with exit(%d) during %s%s; "
                  "an allocator must return, never exit", c->exit_status, op, when);
        return;
    case CHILD_SIGNALED:
        break;
    case CHILD_DONE:
        return;
    }
    int sig = c->signo;
    const char *name = sigabbrev_np(sig);
    if (sig == SIGXCPU || (sig == SIGKILL && pg->signo == SIGXCPU)) {
        set_error(rep, "limit", at, "CPU time limit exceeded during %s%s", op, when);
    } else if (sig == SIGSYS && pg->syscall_nr < 0) {
        set_error(rep, "syscall", at, "forbidden system call: unknown (SIGSYS was blocked, so the "
                  "driver could not see which call) during %s%s", op, when);
    } else if (sig == SIGSYS) {
        set_error(rep, "syscall", at, "forbidden system call: %s (number %d)%s during %s%s",
                  sandbox_syscall_name(pg->syscall_nr), pg->syscall_nr,
                  sandbox_in_own_code(pg->fault_addr)
                      ? ", made directly by a syscall instruction in the program's code" : "",
                  op, when);
    } else if (sig == SIGSEGV || sig == SIGBUS) {
        describe_address(addr, sizeof addr, pg);
        set_error(rep, "signal", at, "SIG%s at %s, during %s%s", name ? name : "?", addr,
                  op, when);
    } else if (sig == SIGABRT) {
        set_error(rep, "signal", at, "SIGABRT: the allocator called abort() (a failed assert?) "
                  "during %s%s", op, when);
    } else if (sig == SIGKILL) {
        set_error(rep, "limit", at, "killed (SIGKILL: a resource limit, memory or CPU) during %s%s",
                  op, when);
    } else {
        set_error(rep, "signal", at, "SIG%s during %s%s", name ? name : "?",
                  op, when);
    }
}

static void summarize(double *v, int n, double out[3])
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    out[0] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    out[1] = v[0];
    out[2] = v[n - 1];
}

/* The child runs the allocator, which can scribble over the child's memory
 * and write to its result channel: nothing it reports is taken on trust.
 * What the parent checks against the trace it read itself: error kinds are
 * known ones, the op is in range, a correct trace's heap is at least its peak
 * payload and at most the reservation, rates are finite and positive, and
 * there are no more samples than asked for.  Returns NULL or the problem. */
static const char *result_problem(const struct trace_result *res, const struct trace *t,
                                  const struct options *o)
{
    static const char *const kinds[] = { "init", "null", "not-null", "alignment", "outside-heap",
        "overlap", "corrupted", "realloc-data", "past-break", "reset", "checker", "internal" };
    if (!res->correct) {
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(res->err.kind, kinds[k]) == 0)
                return res->err.op >= -1 && res->err.op < (long)t->nops ? NULL
                       : "an error at an operation the trace does not have";
        return "an unknown error kind";
    }
    if (res->correct != 1)
        return "a malformed verdict";
    if (!o->libc && (res->heap_size < t->peak_payload || res->heap_size > MEM_MAX_HEAP))
        return "a heap size that cannot hold the trace's peak payload";
    if (!isfinite(res->checked_seconds) || res->checked_seconds < 0)
        return "an impossible replay time";
    if (res->samples < 0 || res->samples > (o->timing ? o->samples : 0))
        return "more timing samples than were asked for";
    for (int s = 0; s < res->samples; s++)
        if (!isfinite(res->rate[s]) || !(res->rate[s] > 0) ||
            !isfinite(res->libc_rate[s]) || !(res->libc_rate[s] > 0))
            return "an impossible throughput";
    return NULL;
}

static void tampered(struct report *rep, const char *what)
{
    set_error(rep, "tamper", -1, "the replay process reported %s: the allocator wrote over the "
              "driver's memory or its result channel", what);
    rep->util = -1;
    rep->samples = 0;
}

/* Read the child's records into rep.  Returns 0, or -1 when they were forged
 * or garbled (rep then holds a "tamper" error). */
static int collect(struct report *rep, const struct child_outcome *c, const struct options *o)
{
    size_t pos = 0, len;
    uint32_t type;
    const char *data;
    int got_result = 0, done = 0, rc;
    while ((rc = record_next(c->results, c->results_len, &pos, &type, &data, &len)) == 1) {
        if (done) {
            tampered(rep, "records after its last one");
            return -1;
        }
        if (type == RECORD_RESULT) {
            struct trace_result res;
            const char *problem = len != sizeof res ? "a result of the wrong size"
                                  : got_result ? "two results" : NULL;
            if (!problem) {
                memcpy(&res, data, sizeof res);
                res.err.message[sizeof res.err.message - 1] = '\0';
                res.err.kind[sizeof res.err.kind - 1] = '\0';
                problem = result_problem(&res, &rep->trace, o);
            }
            if (problem) {
                tampered(rep, problem);
                return -1;
            }
            got_result = 1;
            if (!res.correct) {
                set_error(rep, res.err.kind, res.err.op, "%s", res.err.message);
                continue;
            }
            rep->correct = 1;
            rep->heap_size = res.heap_size;
            rep->util = res.heap_size ? (double)rep->trace.peak_payload / (double)res.heap_size : -1;
            rep->checked_rate = res.checked_seconds > 0 ? (double)rep->trace.nops / res.checked_seconds : 0;
            int n = res.samples > 0 && res.samples <= MAX_SAMPLES ? res.samples : 0;
            rep->samples = n;
            if (n) {
                double ratio[MAX_SAMPLES];
                for (int s = 0; s < n; s++)
                    ratio[s] = res.rate[s] / res.libc_rate[s];
                summarize(res.rate, n, rep->rate);
                summarize(res.libc_rate, n, rep->libc_rate);
                summarize(ratio, n, rep->ratio);
            }
        } else if (type == RECORD_SERIES && len % sizeof(struct series_point) == 0) {
            rep->series = malloc(len ? len : 1);
            if (rep->series) {
                memcpy(rep->series, data, len);
                rep->nseries = len / sizeof(struct series_point);
            }
        } else if (type == RECORD_MAP && len >= 3 * sizeof(uint64_t) && rep->nmaps < 2) {
            uint64_t head[3];
            memcpy(head, data, sizeof head);
            struct heap_map *m = &rep->maps[rep->nmaps++];
            m->op = (uint32_t)head[0];
            m->walk = (int)head[1];
            m->heap_size = head[2];
            m->n = (len - sizeof head) / sizeof(struct map_block);
            m->blocks = malloc(m->n ? m->n * sizeof *m->blocks : 1);
            if (m->blocks)
                memcpy(m->blocks, data + sizeof head, m->n * sizeof *m->blocks);
            else
                m->n = 0;
        } else if (type == RECORD_DONE) {
            done = 1;
        }
    }
    /* A crash or a kill can cut a record short: only a child that ended
     * normally has no excuse for a garbled stream. */
    if (rc < 0 && c->end == CHILD_EXITED) {
        tampered(rep, "garbled records");
        return -1;
    }
    if (done && !got_result) {
        tampered(rep, "the end of its records without a result");
        return -1;
    }
    if (done && c->end == CHILD_EXITED && c->exit_status == 0)
        ((struct child_outcome *)c)->end = CHILD_DONE;
    return 0;
}

static void run_trace(struct report *rep, const struct options *o)
{
    const struct allocator *a = o->libc ? &libc_allocator : &student_allocator;
    struct job job = { &rep->trace, a, o };
    struct sandbox_limits limits = { o->timeout_s, MEM_MAX_HEAP + ((size_t)4 << 30) };
    struct child_outcome c;
    if (o->verbose)
        fprintf(stderr, "replaying %s (%zu ops)...\n", rep->path, rep->trace.nops);
    if (sandbox_run(child_main, &job, &limits, &c) != 0) {
        set_error(rep, "internal", -1, "could not start the replay process: %s", strerror(errno));
        return;
    }
    if (collect(rep, &c, o) != 0) {
        /* a forged or garbled result: the verdict is set; the ending adds nothing */
    } else if (c.end != CHILD_DONE) {
        rep->correct = 0;
        rep->util = -1;
        diagnose_crash(rep, &c, o);
    }
    rep->output = c.output;
    rep->output_len = c.output_len;
    rep->output_truncated = c.output_truncated;
    c.output = NULL;
    child_outcome_free(&c);
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

/* --replay-only: replay each trace once, without checks, timing, child or
 * sandbox, so that valgrind can count the instructions the allocator spends
 * (grader --speed instructions reads the calls made by replay_timed).  The
 * grader only does this for traces a checked run has already passed. */
static int replay_only_main(char **paths, size_t n, int libc)
{
    const struct allocator *a = libc ? &libc_allocator : &student_allocator;
    if (a->uses_heap && mem_init() != 0) {
        fprintf(stderr, "driver: could not reserve the simulated heap\n");
        return 2;
    }
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        struct trace t;
        struct replay r;
        static volatile long progress;
        char err[1024];
        if (trace_read(paths[i], &t, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            status = 1;
            continue;
        }
        if (replay_init(&r, &t, &progress) != 0) {
            fprintf(stderr, "driver: %s: out of memory\n", paths[i]);
            trace_free(&t);
            return 2;
        }
        double dt = replay_timed(&r, a);
        printf("%s %zu %s\n", t.name, t.nops, dt < 0 ? "failed" : "ok");
        fflush(stdout);
        status |= dt < 0;
        replay_destroy(&r);
        trace_free(&t);
    }
    return status;
}

int main(int argc, char **argv)
{
    struct options o = { .timing = 1, .samples = 5, .check_every = 1, .timeout_s = DEFAULT_TIMEOUT };
    char **paths = NULL;
    size_t npaths = 0, cap = 0;
    int replay_only = 0;
    enum { OPT_JSON = 256, OPT_NO_TIMING, OPT_SAMPLES, OPT_HEAPDUMP, OPT_LINT, OPT_QUIET, OPT_REPLAY_ONLY,
           OPT_CHECK_EVERY };
    static const struct option longopts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "no-timing", no_argument, NULL, OPT_NO_TIMING },
        { "samples", required_argument, NULL, OPT_SAMPLES },
        { "heapdump", no_argument, NULL, OPT_HEAPDUMP },
        { "lint", no_argument, NULL, OPT_LINT },
        { "quiet", no_argument, NULL, OPT_QUIET },
        { "replay-only", no_argument, NULL, OPT_REPLAY_ONLY },
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
        case OPT_REPLAY_ONLY: replay_only = 1; break;
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

    if (replay_only) {
        int status = replay_only_main(paths, npaths, o.libc);
        for (size_t i = 0; i < npaths; i++)
            free(paths[i]);
        free(paths);
        return status;
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
        free(paths[i]);
    }
    free(reps);
    free(paths);
    return all_ok ? 0 : 1;
}
