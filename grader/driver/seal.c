/*
 * seal.c -- the allocator host's system-call filter (seccomp BPF).
 *
 * Installed by host.c after its setup and before the first call into the
 * student's code; no_new_privs is set first, and the filter is inherited by
 * nothing (the host cannot fork).  Every call not allowed raises SIGSYS
 * (SECCOMP_RET_TRAP), whose handler notes the number for the checker's
 * "forbidden system call: NAME" verdict, then the process dies of it.
 *
 *   allowed in a submission's host       why
 *   write, writev to fds 1 and 2         printf debugging (captured, capped)
 *   futex, sched_yield                   the hand-off with the checker
 *   mprotect inside the heap, not exec   memlib growing the simulated heap
 *   rt_sigprocmask, getpid, gettid,      raise() in the fatal-signal handler
 *     tgkill to itself only
 *   rt_sigreturn, restart_syscall        returning from a signal handler
 *   exit, exit_group                     ending
 *
 * That is all: no open, no read, no mmap, no brk (so libc's malloc cannot
 * get memory, whatever pointer to it an allocator finds), no clock (the host
 * has none: the checker times replays; rdtsc faults too, PR_SET_TSC), no
 * fork, no signals to others, no rt_sigaction.  And ANY call made from the
 * student's own code (a raw syscall instruction) is trapped, so it is named
 * as such.  The libc host (libc_mode) may also get memory for malloc: brk,
 * private anonymous non-executable mmap, munmap, mremap, madvise, mprotect.
 * No secret is in the host to begin with: it was exec'd with an empty
 * environment and holds only the trace it replays.
 */
#include "seal.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protocol.h"

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

/* The student's code: the grader renames every code section of the
 * submission's object to student_text (grader/link.py), and the linker
 * defines these two symbols around it.  Absent (the libc host, a build that
 * skipped the rename): no range, and the rule is off. */
extern const char __start_student_text[] __attribute__((weak));
extern const char __stop_student_text[] __attribute__((weak));

static uintptr_t student_lo(void) { return (uintptr_t)__start_student_text; }
static uintptr_t student_hi(void) { return __start_student_text ? (uintptr_t)__stop_student_text : 0; }

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

/* write/writev: only to stdout and stderr (captured by the checker). */
static void allow_write_to_output(struct filter *f, int nr)
{
    LOAD(f, NR);                            /* 0 */
    JEQ(f, (uint32_t)nr, 0, 5);             /* 1: not this call: go to 7 */
    LOAD(f, ARG_LO(0));                     /* 2: the fd (the kernel reads 32 bits) */
    JEQ(f, STDOUT_FILENO, 2, 0);            /* 3 */
    JEQ(f, STDERR_FILENO, 1, 0);            /* 4 */
    RET(f, TRAP);                           /* 5 */
    RET(f, ALLOW);                          /* 6 */
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

/* mprotect: anything but PROT_EXEC (libc's malloc, in the libc host). */
static void allow_mprotect(struct filter *f)
{
    LOAD(f, NR);                    /* 0 */
    JEQ(f, SYS_mprotect, 0, 4);     /* 1: go to 6 */
    LOAD(f, ARG_LO(2));             /* 2 */
    JSET(f, PROT_EXEC, 0, 1);       /* 3 */
    RET(f, TRAP);                   /* 4 */
    RET(f, ALLOW);                  /* 5 */
}

/* mprotect inside the simulated heap only, never executable: memlib growing
 * the heap.  [HOST_HEAP_BASE, +MEM_MAX_HEAP) is hi32 == 0x1000, lo32 < 2^31;
 * the length at most MEM_MAX_HEAP (beyond the heap's end lies unmapped space,
 * where mprotect stops). */
static void allow_heap_mprotect(struct filter *f)
{
    LOAD(f, NR);                                    /* 0 */
    JEQ(f, SYS_mprotect, 0, 12);                    /* 1: go to 14 */
    LOAD(f, ARG_LO(0) + 4);                         /* 2: addr, high half */
    JEQ(f, hi32(HOST_HEAP_BASE), 0, 8);             /* 3: go to 12 */
    LOAD(f, ARG_LO(0));                             /* 4 */
    JGE(f, (uint32_t)MEM_MAX_HEAP, 6, 0);           /* 5: go to 12 */
    LOAD(f, ARG_LO(1) + 4);                         /* 6: len, high half */
    JEQ(f, 0, 0, 4);                                /* 7: go to 12 */
    LOAD(f, ARG_LO(1));                             /* 8 */
    JGT(f, (uint32_t)MEM_MAX_HEAP, 2, 0);           /* 9: go to 12 */
    LOAD(f, ARG_LO(2));                             /* 10: prot */
    JSET(f, PROT_EXEC, 0, 1);                       /* 11: go to 13 */
    RET(f, TRAP);                                   /* 12 */
    RET(f, ALLOW);                                  /* 13 */
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

static int seal_filter(int libc_mode)
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
    if (student_lo() < student_hi())
        trap_ip_in(&f, student_lo(), student_hi());

    static const int plain[] = {
        SYS_exit_group, SYS_exit, SYS_rt_sigreturn, SYS_restart_syscall,
        SYS_rt_sigprocmask, SYS_getpid, SYS_gettid, SYS_futex, SYS_sched_yield,
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        allow_plain(&f, plain[i]);
    allow_write_to_output(&f, SYS_write);
    allow_write_to_output(&f, SYS_writev);
    allow_tgkill_self(&f, getpid());
    if (libc_mode) {
        static const int memory[] = { SYS_brk, SYS_munmap, SYS_mremap, SYS_madvise };
        for (size_t i = 0; i < sizeof memory / sizeof memory[0]; i++)
            allow_plain(&f, memory[i]);
        allow_anonymous_mmap(&f);
        allow_mprotect(&f);
    } else {
        allow_heap_mprotect(&f);
    }
    RET(&f, TRAP);

    if (f.n > sizeof f.insn / sizeof f.insn[0])
        return -1;
    struct sock_fprog prog = { f.n, f.insn };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

#endif /* SEAL_FILTER */

int seal_install(int libc_mode)
{
#ifdef PR_SET_TSC
    prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);   /* no cycle counter either */
#endif
#ifdef SEAL_FILTER
    return seal_filter(libc_mode);
#else
    (void)libc_mode;
    return 0;
#endif
}

int seal_in_student_code(uintptr_t addr)
{
#ifdef SEAL_FILTER
    return addr >= student_lo() && addr < student_hi();
#else
    (void)addr;
    return 0;
#endif
}
