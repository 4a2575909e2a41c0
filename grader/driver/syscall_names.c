/*
 * syscall_names.c -- system call numbers in words, for "forbidden system
 * call: NAME" verdicts (the checker names what the host's seal trapped).
 */
#include <stddef.h>
#include <sys/syscall.h>

#include "seal.h"

const char *syscall_name(int nr)
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
