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
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
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
    /* SA_RESETHAND already restored the default action (the sealed child may
     * not call rt_sigaction); sig stays blocked until we return, then the
     * re-raised signal ends the process: the parent sees the real signal. */
    raise(sig);
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
    struct sigaction sa = { .sa_sigaction = on_fatal_signal,
                            .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND };
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

/* ---- the seal: a seccomp filter ------------------------------------------------
 *
 * Once sealed, the child may only do what a replay needs; every other system
 * call raises SIGSYS (SECCOMP_RET_TRAP), whose handler notes the call's
 * number for the parent's "forbidden system call: NAME" verdict.
 *
 *   allowed                       why
 *   write, writev to fds 1, 2     the allocator's printf debugging (captured)
 *     and the result channel      the records for the parent
 *   mmap (private, anonymous,     glibc malloc: the driver's own bookkeeping and
 *     not executable, not fixed)    the libc timing replays (requests up to 1 GiB)
 *   brk, munmap, mremap, madvise  the same
 *   mprotect (not executable)     memlib growing the simulated heap
 *   clock_gettime, gettimeofday,  timing (normally the vDSO: no system call)
 *     time, clock_getres
 *   rt_sigprocmask, getpid,       raise() in the fatal-signal handler; tgkill
 *     gettid, tgkill (to itself)    only to this very thread
 *   rt_sigreturn, restart_syscall returning from a signal handler
 *   exit, exit_group              ending
 * Everything else -- open, read, fork, clone, execve, socket, kill, ptrace,
 * sleeping, rt_sigaction (a new SIGSYS handler) -- is forbidden.  So is ANY
 * system call issued from the program's own code rather than from libc: the
 * driver makes none, so one there is a raw `syscall` instruction in the
 * allocator, a way around the grader's static checks.
 *
 * The child sets up everything that would need a forbidden call before the
 * seal: the heap reservation, the replay's buffers, stdout's buffer (glibc
 * would fstat fd 1 on the first printf), and the fatal-signal handlers with
 * SA_RESETHAND (so the handler needs no rt_sigaction to restore the default).
 * The result channel moves to a random descriptor number, so a submission
 * cannot forge records by writing to a guessable fd.
 *
 * Honest limit: the allocator runs in the driver's own address space, so it
 * can read and scribble over the driver's memory (including where the result
 * fd is kept).  The filter bounds what it can do to the MACHINE; the parent
 * bounds what a lie can achieve by checking every record against the trace it
 * read itself (main.c, result_problem).
 */
#if defined(__x86_64__)
#define SEAL_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SEAL_ARCH AUDIT_ARCH_AARCH64
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SEAL_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define SEAL_UNDER_SANITIZER 1
#endif
#endif

#if defined(SEAL_ARCH) && !defined(SEAL_UNDER_SANITIZER) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SEAL_FILTER 1
#endif

#ifdef SEAL_FILTER

/* The program's own code: ELF header to the end of .text (GNU ld and lld both
 * define these).  _DYNAMIC is absent from a static executable, whose libc is
 * in that range too: then the rule is off. */
extern const char __ehdr_start[], etext[];
extern const char _DYNAMIC[] __attribute__((weak));

#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args[i]))   /* little endian */
#define IP_LO ((uint32_t)offsetof(struct seccomp_data, instruction_pointer))
#define IP_HI (IP_LO + 4)
#define NR ((uint32_t)offsetof(struct seccomp_data, nr))
#define ARCH ((uint32_t)offsetof(struct seccomp_data, arch))

struct filter {
    struct sock_filter insn[160];
    unsigned short n;
};

static void emit(struct filter *f, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (f->n < sizeof f->insn / sizeof f->insn[0])
        f->insn[f->n] = (struct sock_filter){ code, jt, jf, k };
    f->n++;   /* an overflow is caught by seal_filter before installing */
}

#define LOAD(f, off)     emit(f, BPF_LD | BPF_W | BPF_ABS, 0, 0, off)
#define RET(f, v)        emit(f, BPF_RET | BPF_K, 0, 0, v)
#define JEQ(f, k, t, e)  emit(f, BPF_JMP | BPF_JEQ | BPF_K, t, e, k)
#define JGT(f, k, t, e)  emit(f, BPF_JMP | BPF_JGT | BPF_K, t, e, k)
#define JGE(f, k, t, e)  emit(f, BPF_JMP | BPF_JGE | BPF_K, t, e, k)
#define JSET(f, k, t, e) emit(f, BPF_JMP | BPF_JSET | BPF_K, t, e, k)
#define ALLOW SECCOMP_RET_ALLOW
#define TRAP  SECCOMP_RET_TRAP

static uint32_t lo32(uintptr_t v) { return (uint32_t)v; }
static uint32_t hi32(uintptr_t v) { return (uint32_t)((uint64_t)v >> 32); }

/* Trap when lo <= instruction_pointer < hi (64-bit compare, 32 bits at a time). */
static void trap_ip_in(struct filter *f, uintptr_t lo, uintptr_t hi)
{
    LOAD(f, IP_HI);                     /* 0 */
    JGT(f, hi32(lo), 3, 0);             /* 1: ip_hi > lo_hi: ip >= lo, go to 5 */
    JEQ(f, hi32(lo), 0, 8);             /* 2: ip_hi < lo_hi: below, go to 11 */
    LOAD(f, IP_LO);                     /* 3 */
    JGE(f, lo32(lo), 0, 6);             /* 4: ip_lo < lo_lo: below, go to 11 */
    LOAD(f, IP_HI);                     /* 5: ip >= lo; now ip < hi? */
    JGT(f, hi32(hi), 4, 0);             /* 6: above, go to 11 */
    JEQ(f, hi32(hi), 0, 2);             /* 7: ip_hi < hi_hi: inside, go to 10 */
    LOAD(f, IP_LO);                     /* 8 */
    JGE(f, lo32(hi), 1, 0);             /* 9: ip_lo >= hi_lo: above, go to 11 */
    RET(f, TRAP);                       /* 10: inside */
}                                       /* 11: the next rule */

static void allow_plain(struct filter *f, int nr)
{
    LOAD(f, NR);
    JEQ(f, (uint32_t)nr, 0, 1);
    RET(f, ALLOW);
}

/* write/writev: only to stdout, stderr and the result channel. */
static void allow_write_to(struct filter *f, int nr, int result_fd)
{
    LOAD(f, NR);                            /* 0 */
    JEQ(f, (uint32_t)nr, 0, 6);             /* 1: not this call: go to 8 */
    LOAD(f, ARG_LO(0));                     /* 2: the fd (the kernel reads 32 bits) */
    JEQ(f, STDOUT_FILENO, 3, 0);            /* 3 */
    JEQ(f, STDERR_FILENO, 2, 0);            /* 4 */
    JEQ(f, (uint32_t)result_fd, 1, 0);      /* 5 */
    RET(f, TRAP);                           /* 6 */
    RET(f, ALLOW);                          /* 7 */
}

/* mmap: private anonymous memory, never executable, never at a fixed address. */
static void allow_anonymous_mmap(struct filter *f)
{
    LOAD(f, NR);                                            /* 0 */
    JEQ(f, SYS_mmap, 0, 8);                                 /* 1: go to 10 */
    LOAD(f, ARG_LO(2));                                     /* 2: prot */
    JSET(f, PROT_EXEC, 4, 0);                               /* 3: go to 8 */
    LOAD(f, ARG_LO(3));                                     /* 4: flags */
    JSET(f, MAP_SHARED | MAP_FIXED | MAP_FIXED_NOREPLACE, 2, 0);   /* 5: go to 8 (MAP_SHARED_VALIDATE has MAP_SHARED's bit) */
    emit(f, BPF_ALU | BPF_AND | BPF_K, 0, 0, MAP_PRIVATE | MAP_ANONYMOUS);   /* 6 */
    JEQ(f, MAP_PRIVATE | MAP_ANONYMOUS, 1, 0);              /* 7: go to 9 */
    RET(f, TRAP);                                           /* 8 */
    RET(f, ALLOW);                                          /* 9 */
}

/* mprotect: anything but PROT_EXEC (memlib only needs none and read/write). */
static void allow_mprotect(struct filter *f)
{
    LOAD(f, NR);                    /* 0 */
    JEQ(f, SYS_mprotect, 0, 4);     /* 1: go to 6 */
    LOAD(f, ARG_LO(2));             /* 2 */
    JSET(f, PROT_EXEC, 0, 1);       /* 3 */
    RET(f, TRAP);                   /* 4 */
    RET(f, ALLOW);                  /* 5 */
}

/* tgkill: only this process's own thread (raise()). */
static void allow_tgkill_self(struct filter *f, pid_t pid)
{
    LOAD(f, NR);                            /* 0 */
    JEQ(f, SYS_tgkill, 0, 6);               /* 1: go to 8 */
    LOAD(f, ARG_LO(0));                     /* 2: tgid */
    JEQ(f, (uint32_t)pid, 0, 3);            /* 3: go to 7 */
    LOAD(f, ARG_LO(1));                     /* 4: tid (single-threaded: == pid) */
    JEQ(f, (uint32_t)pid, 0, 1);            /* 5: go to 7 */
    RET(f, ALLOW);                          /* 6 */
    RET(f, TRAP);                           /* 7 */
}

static int seal_filter(int result_fd)
{
    struct filter f = { .n = 0 };
    LOAD(&f, ARCH);
    JEQ(&f, SEAL_ARCH, 1, 0);
    RET(&f, SECCOMP_RET_KILL_PROCESS);     /* another ABI (e.g. int 0x80): no table for it */
#ifdef __x86_64__
    LOAD(&f, NR);
    JGE(&f, 0x40000000u, 0, 1);            /* the x32 ABI's numbers */
    RET(&f, TRAP);
#endif
    if (_DYNAMIC)
        trap_ip_in(&f, (uintptr_t)__ehdr_start, (uintptr_t)etext);

    static const int plain[] = {
        SYS_exit_group, SYS_exit, SYS_rt_sigreturn, SYS_restart_syscall,
        SYS_rt_sigprocmask, SYS_getpid, SYS_gettid,
        SYS_brk, SYS_munmap, SYS_mremap, SYS_madvise,
        SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday,
#ifdef SYS_time
        SYS_time,
#endif
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        allow_plain(&f, plain[i]);
    allow_write_to(&f, SYS_write, result_fd);
    allow_write_to(&f, SYS_writev, result_fd);
    allow_anonymous_mmap(&f);
    allow_mprotect(&f);
    allow_tgkill_self(&f, getpid());
    RET(&f, TRAP);

    if (f.n > sizeof f.insn / sizeof f.insn[0])
        return -1;
    struct sock_fprog prog = { f.n, f.insn };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

#endif /* SEAL_FILTER */

/* Move the result channel to a descriptor number that is hard to guess. */
static int hide_result_fd(int fd)
{
    struct rlimit rl;
    long top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
        ? (long)rl.rlim_cur : 1024;
    if (top > 4096)
        top = 4096;
    if (top <= 64)
        return fd;
    unsigned r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (unsigned)getpid() * 2654435761u ^ (unsigned)(uintptr_t)&r;
    int target = 64 + (int)(r % (unsigned)(top - 64));
    int moved = fcntl(fd, F_DUPFD, target);
    if (moved < 0)
        return fd;
    close(fd);
    return moved;
}

int sandbox_seal(int result_fd)
{
    static char stdout_buffer[BUFSIZ];
    /* A buffer of our own: glibc would otherwise fstat(1) on the first printf.
     * Line buffered, so that what a crashing allocator printed still arrives. */
    setvbuf(stdout, stdout_buffer, _IOLBF, sizeof stdout_buffer);
    setvbuf(stderr, NULL, _IONBF, 0);
    int fd = hide_result_fd(result_fd);
    if (child_progress)
        child_progress->syscall_nr = -1;   /* SIGSYS with no number: the handler did not run */
#ifdef SEAL_FILTER
    if (seal_filter(fd) != 0)
        return -1;
#endif
    return fd;
}

int sandbox_in_own_code(uintptr_t addr)
{
#ifdef SEAL_FILTER
    return _DYNAMIC && addr >= (uintptr_t)__ehdr_start && addr < (uintptr_t)etext;
#else
    (void)addr;
    return 0;
#endif
}

const char *sandbox_syscall_name(int nr)
{
    static const struct { int nr; const char *name; } names[] = {
#define NAME(x) { SYS_##x, #x }
        NAME(read), NAME(write), NAME(openat), NAME(close), NAME(fstat), NAME(newfstatat),
        NAME(mmap), NAME(munmap), NAME(mprotect), NAME(brk), NAME(ioctl), NAME(readv),
        NAME(writev), NAME(pread64), NAME(pwrite64), NAME(socket), NAME(connect), NAME(bind),
        NAME(listen), NAME(accept), NAME(accept4), NAME(sendto), NAME(recvfrom), NAME(sendmsg),
        NAME(recvmsg), NAME(clone), NAME(clone3), NAME(execve), NAME(execveat), NAME(kill),
        NAME(tkill), NAME(tgkill), NAME(nanosleep), NAME(clock_nanosleep), NAME(getpid),
        NAME(getppid), NAME(gettid), NAME(uname), NAME(sysinfo), NAME(getuid), NAME(geteuid),
        NAME(unlinkat), NAME(renameat), NAME(mremap), NAME(ptrace), NAME(prctl), NAME(exit_group),
        NAME(rt_sigaction), NAME(rt_sigprocmask), NAME(sigaltstack), NAME(madvise),
        NAME(seccomp), NAME(getdents64), NAME(mkdirat), NAME(fchmodat), NAME(setrlimit),
        NAME(prlimit64), NAME(futex), NAME(dup), NAME(dup3), NAME(pipe2), NAME(lseek),
        NAME(ftruncate), NAME(fcntl), NAME(shmget), NAME(shmat), NAME(memfd_create),
        NAME(process_vm_writev), NAME(process_vm_readv), NAME(setpgid), NAME(wait4),
        NAME(getrandom), NAME(mincore), NAME(mlock), NAME(pkey_mprotect), NAME(sched_yield),
        NAME(setitimer), NAME(timer_create),
#if defined(__x86_64__)
        NAME(open), NAME(stat), NAME(lstat), NAME(access), NAME(fork), NAME(vfork),
        NAME(unlink), NAME(rename), NAME(pipe), NAME(dup2), NAME(alarm), NAME(pause),
        NAME(getdents), NAME(mkdir), NAME(chmod), NAME(creat), NAME(time),
#endif
#undef NAME
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].nr == nr)
            return names[i].name;
    return "unknown";
}
