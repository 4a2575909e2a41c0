/*
 * seal.h -- the allocator host's seccomp seal (seal.c says what it allows).
 */
#ifndef SLABLAB_SEAL_H
#define SLABLAB_SEAL_H

#include <stdint.h>

/* Forbid every system call a sealed host does not need.  libc_mode also
 * lets libc's malloc get memory (build/libc-host only).  0, or -1. */
int seal_install(int libc_mode);

/* True when addr lies in the student's code (the linker's student_text
 * section): a system call from there is a raw syscall instruction. */
int seal_in_student_code(uintptr_t addr);

/* The name of system call number nr ("openat", "clone", ...), or "unknown". */
const char *syscall_name(int nr);

#endif /* SLABLAB_SEAL_H */
