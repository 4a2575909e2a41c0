/*
 * sandbox.c -- fork, limit, watch (the why is in sandbox.h).
 *
 * Child, in order: own process group; stdin from /dev/null; stdout and stderr
 * into the capture pipe; resource limits (CPU, address space, no files, no
 * core dumps, no new processes); fatal-signal handlers on an alternate stack
 * that note the signal and address in the progress page and re-raise it;
 * then the caller's child_main, which seals the sandbox before the
 * allocator's first instruction runs.
 *
 * Parent: poll both pipes until the child closes them or the deadline
 * passes (then SIGKILL the whole group), reap it, and classify the ending.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memlib.h"

#define RESULTS_CAP ((size_t)512 << 20)

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- records ------------------------------------------------------------------ */

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int record_write(int fd, uint32_t type, const void *data, size_t len)
{
    struct record_header h = { RECORD_MAGIC, type, len };
    return write_all(fd, &h, sizeof h) || write_all(fd, data, len) ? -1 : 0;
}

int record_next(const char *buf, size_t len, size_t *pos, uint32_t *type,
                const char **data, size_t *dlen)
{
    if (*pos == len)
        return 0;
    struct record_header h;
    if (len - *pos < sizeof h)
        return -1;
    memcpy(&h, buf + *pos, sizeof h);
    if (h.magic != RECORD_MAGIC || h.len > len - *pos - sizeof h)
        return -1;
    *type = h.type;
    *data = buf + *pos + sizeof h;
    *dlen = (size_t)h.len;
    *pos += sizeof h + (size_t)h.len;
    return 1;
}

/* ---- the child ---------------------------------------------------------------- */

static struct progress *child_progress;

static void on_fatal_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    struct progress *pg = child_progress;
    pg->signo = sig;
    pg->fault_addr = (uintptr_t)si->si_addr;
#ifdef SIGSYS
    if (sig == SIGSYS)
        pg->syscall_nr = si->si_syscall;
#endif
    pg->heap_lo = (uintptr_t)mem_heap_lo();
    pg->brk = (uintptr_t)mem_brk();
    signal(sig, SIG_DFL);
    raise(sig);   /* delivered on return: the parent sees the real signal */
}

static void set_limit(int resource, rlim_t value)
{
    struct rlimit rl = { value, value };
    setrlimit(resource, &rl);
}

static void child_setup(const struct sandbox_limits *limits, int out_fd, struct progress *pg)
{
    setpgid(0, 0);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        close(null_fd);
    }
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    close(out_fd);
    setvbuf(stdout, NULL, _IOLBF, 0);   /* a debugging printf just before a crash still shows */

    rlim_t cpu = (rlim_t)limits->timeout_s + 2;
    struct rlimit rl_cpu = { cpu, cpu + 1 };   /* SIGXCPU first, SIGKILL a second later */
    setrlimit(RLIMIT_CPU, &rl_cpu);
    set_limit(RLIMIT_AS, limits->address_space);
    set_limit(RLIMIT_FSIZE, 0);
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_NPROC, 0);

    /* Where the stack is, to tell a stack overflow from other faults. */
    char here;
    struct rlimit st;
    getrlimit(RLIMIT_STACK, &st);
    size_t stack_size = st.rlim_cur == RLIM_INFINITY ? (size_t)8 << 20 : (size_t)st.rlim_cur;
    pg->stack_hi = (uintptr_t)&here + 64 * 1024;
    pg->stack_lo = (uintptr_t)&here - stack_size - 64 * 1024;

    static char alt_stack[64 * 1024];
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof alt_stack };
    sigaltstack(&ss, NULL);
    child_progress = pg;
    struct sigaction sa = { .sa_sigaction = on_fatal_signal, .sa_flags = SA_SIGINFO | SA_ONSTACK };
    sigemptyset(&sa.sa_mask);
    int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGXCPU, SIGXFSZ, SIGSYS };
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
}

/* ---- the parent ----------------------------------------------------------------- */

/* Append what is readable on fd to *buf (keeping at most cap bytes).
 * Returns 0 at end of file, 1 if more may come. */
static int drain(int fd, char **buf, size_t *len, size_t *cap, size_t limit, int *truncated)
{
    char chunk[65536];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    size_t keep = *len + (size_t)n > limit ? limit - *len : (size_t)n;
    if (keep < (size_t)n && truncated)
        *truncated = 1;
    if (*len + keep > *cap) {
        size_t ncap = *cap ? *cap : 65536;
        while (ncap < *len + keep)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return 1;   /* drop the bytes; keep draining so the child never blocks */
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, chunk, keep);
    *len += keep;
    return 1;
}

int sandbox_run(child_main_fn *fn, void *arg, const struct sandbox_limits *limits,
                struct child_outcome *out)
{
    memset(out, 0, sizeof *out);
    struct progress *pg = mmap(NULL, sizeof *pg, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pg == MAP_FAILED)
        return -1;
    memset((void *)pg, 0, sizeof *pg);
    pg->op = -1;
    int res_pipe[2], out_pipe[2];
    if (pipe2(res_pipe, O_CLOEXEC) != 0) {
        munmap(pg, sizeof *pg);
        return -1;
    }
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
        close(res_pipe[0]);
        close(res_pipe[1]);
        munmap(pg, sizeof *pg);
        return -1;
    }
    fflush(NULL);
    double start = monotonic();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(res_pipe[0]); close(res_pipe[1]); close(out_pipe[0]); close(out_pipe[1]);
        munmap(pg, sizeof *pg);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        close(res_pipe[0]);
        close(out_pipe[0]);
        child_setup(limits, out_pipe[1], pg);
        fn(arg, res_pipe[1], pg);
        fflush(NULL);
        _exit(0);
    }
    setpgid(pid, pid);   /* also done by the child: whichever runs first wins */
    close(res_pipe[1]);
    close(out_pipe[1]);

    size_t res_cap = 0, out_cap = 0;
    struct pollfd fds[2] = { { res_pipe[0], POLLIN, 0 }, { out_pipe[0], POLLIN, 0 } };
    int open_fds = 2, timed_out = 0;
    double deadline = start + limits->timeout_s;
    while (open_fds > 0) {
        double left = deadline - monotonic();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        int n = poll(fds, 2, (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2 && n > 0; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int more = i == 0
                ? drain(fds[i].fd, &out->results, &out->results_len, &res_cap, RESULTS_CAP, NULL)
                : drain(fds[i].fd, &out->output, &out->output_len, &out_cap, OUTPUT_CAP,
                        &out->output_truncated);
            if (!more) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    int status = 0;
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else {
        /* Pipes closed: the child is ending, but give it the rest of the deadline. */
        for (;;) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                break;
            if (monotonic() > deadline) {
                timed_out = 1;
                kill(-pid, SIGKILL);
                waitpid(pid, &status, 0);
                break;
            }
            usleep(1000);
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    kill(-pid, SIGKILL);   /* anything the child left in its group */

    out->seconds = monotonic() - start;
    memcpy(&out->progress, (void *)pg, sizeof *pg);
    munmap(pg, sizeof *pg);
    if (timed_out) {
        out->end = CHILD_TIMEOUT;
    } else if (WIFSIGNALED(status)) {
        out->end = CHILD_SIGNALED;
        out->signo = WTERMSIG(status);
    } else {
        out->exit_status = WEXITSTATUS(status);
        out->end = CHILD_EXITED;   /* the caller upgrades it to DONE on RECORD_DONE */
    }
    return 0;
}

void child_outcome_free(struct child_outcome *out)
{
    free(out->results);
    free(out->output);
    memset(out, 0, sizeof *out);
}

int sandbox_seal(int result_fd)
{
    (void)result_fd;
    return 0;
}

const char *sandbox_syscall_name(int nr)
{
    static const struct { int nr; const char *name; } names[] = {
#define NAME(x) { SYS_##x, #x }
        NAME(read), NAME(write), NAME(open), NAME(openat), NAME(close), NAME(stat),
        NAME(fstat), NAME(mmap), NAME(munmap), NAME(mprotect), NAME(brk), NAME(ioctl),
        NAME(socket), NAME(connect), NAME(fork), NAME(vfork), NAME(clone), NAME(execve),
        NAME(kill), NAME(tgkill), NAME(nanosleep), NAME(clock_nanosleep), NAME(getpid),
        NAME(unlink), NAME(rename), NAME(mremap), NAME(ptrace), NAME(prctl), NAME(exit_group),
#undef NAME
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].nr == nr)
            return names[i].name;
    return "unknown";
}
