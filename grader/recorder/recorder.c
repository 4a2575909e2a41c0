/*
 * recorder.c -- an LD_PRELOAD library that records every heap call of a program.
 *
 *   SLABLAB_RECORD_DIR=/tmp/rec LD_PRELOAD=build/librecorder.so some-program args
 *
 * writes one raw log per process image into SLABLAB_RECORD_DIR; rec2trace.py
 * (next to this file) turns each log into a kit trace.  Without
 * SLABLAB_RECORD_DIR the library only passes calls through.
 *
 * What is intercepted: malloc, calloc, realloc, reallocarray, free,
 * posix_memalign, aligned_alloc, memalign, valloc, pvalloc.  Each call is
 * forwarded to the next definition (libc's, found with dlsym(RTLD_NEXT)) and
 * its outcome is appended to the log as one fixed-size struct rec_entry.
 *
 * The log is a file mapped with MAP_SHARED: an entry is in the page cache the
 * moment it is written, so nothing is lost when the process calls _exit,
 * execs, or crashes (there is no buffer to flush).  The file starts with a
 * REC_HEADER_BYTES header (magic, pid, parent pid, command line); entries
 * follow; an entry whose kind is 0 marks the end (the file is sparse and
 * zero past the last entry until the exit handler truncates it).
 *
 * Invariants that keep the log consistent and the program alive:
 *   R1  One global lock is held across the real call AND the write of its
 *       entry, so the log's order is the order in which the heap really
 *       changed, even with threads (a block freed by one thread and handed out
 *       again to another is logged free-then-malloc, never the reverse).
 *   R2  A call made while this thread is already inside a hook (libc calling
 *       malloc from inside malloc, a signal handler, our own setup) goes
 *       straight to libc without locking or logging: no deadlock, no loop.
 *   R3  Calls made before the real functions are known (dlsym itself
 *       allocates) are served from a small static arena; frees of arena
 *       memory are ignored.
 *   R4  fork: the prepare handler takes the lock (so no thread is mid-entry),
 *       the child then opens its own log: one log per process.  exec: the new
 *       image opens a new log (names never collide, see open_log).
 *   R5  The hooks never call anything that may allocate (no stdio, no
 *       snprintf): the log is written with plain stores, files with syscalls.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder.h"

/* ---- the real functions ------------------------------------------------------ */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_reallocarray)(void *, size_t, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

static int resolved;     /* the real_* pointers are set */
static int resolving;    /* inside dlsym: serve from the bootstrap arena (R3) */

/* Per-thread state; initial-exec TLS never allocates on first access. */
static __thread int in_hook __attribute__((tls_model("initial-exec")));
static __thread uint32_t my_tid __attribute__((tls_model("initial-exec")));

/* ---- bootstrap arena (R3) ------------------------------------------------------ */

static _Alignas(64) unsigned char boot_arena[64 * 1024];
static size_t boot_used;

static int in_boot_arena(const void *p)
{
    return (const unsigned char *)p >= boot_arena &&
           (const unsigned char *)p < boot_arena + sizeof boot_arena;
}

static void *boot_alloc(size_t size)
{
    size_t start = (boot_used + 63) & ~(size_t)63;
    if (size > sizeof boot_arena - start)
        return NULL;
    boot_used = start + size;
    return boot_arena + start;   /* static storage: already zero, fine for calloc */
}

/* ---- the log ------------------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;
static struct rec_entry *log_map;   /* current mapped chunk */
static size_t log_chunk_first;      /* index of log_map[0] among all entries */
static size_t log_next;             /* entries written so far */
static size_t log_limit;            /* stop logging after this many (0: no limit) */
static int log_disabled;            /* no directory, or a file error: pass through */

static size_t entries_per_chunk(void) { return REC_CHUNK_BYTES / sizeof(struct rec_entry); }

/* File offset of entry number i. */
static off_t entry_offset(size_t i) { return (off_t)(REC_HEADER_BYTES + i * sizeof(struct rec_entry)); }

/* Decimal digits of v into buf (no snprintf: R5); returns the length. */
static size_t put_decimal(char *buf, unsigned long v)
{
    char tmp[24];
    size_t n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

/* Map the chunk that holds entry number first (growing the file to cover it). */
static int map_chunk(size_t first)
{
    if (log_map)
        munmap(log_map, REC_CHUNK_BYTES);
    log_map = NULL;
    off_t end = entry_offset(first) + (off_t)REC_CHUNK_BYTES;
    if (ftruncate(log_fd, end) != 0)
        return -1;
    void *m = mmap(NULL, REC_CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, log_fd,
                   entry_offset(first));
    if (m == MAP_FAILED)
        return -1;
    log_map = m;
    log_chunk_first = first;
    return 0;
}

/* Write the header: magic, pid, parent pid, then the command line. */
static void write_header(int fd)
{
    struct rec_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, REC_MAGIC, sizeof h.magic);
    h.entry_size = sizeof(struct rec_entry);
    h.pid = (uint32_t)getpid();
    h.ppid = (uint32_t)getppid();
    int cf = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (cf >= 0) {
        ssize_t got = read(cf, h.cmdline, sizeof h.cmdline - 1);
        close(cf);
        for (ssize_t i = 0; i + 1 < got; i++)   /* arguments are NUL-separated */
            if (h.cmdline[i] == '\0')
                h.cmdline[i] = ' ';
    }
    ssize_t w = pwrite(fd, &h, sizeof h, 0);
    (void)w;   /* a short header only costs the converter its comment line */
}

/* Open DIR/rec.PID.N for the first free N: an exec keeps the pid, so the new
 * image must not reuse the old image's file (R4). */
static void open_log(void)
{
    const char *dir = getenv("SLABLAB_RECORD_DIR");
    if (!dir || !*dir) {
        log_disabled = 1;
        return;
    }
    const char *max = getenv("SLABLAB_RECORD_MAX");
    log_limit = max ? strtoul(max, NULL, 10) : 0;

    char path[4096];
    size_t dlen = strlen(dir);
    if (dlen > sizeof path - 64) {
        log_disabled = 1;
        return;
    }
    for (unsigned n = 0; n < 1000; n++) {
        size_t len = dlen;
        memcpy(path, dir, dlen);
        memcpy(path + len, "/rec.", 5);
        len += 5;
        len += put_decimal(path + len, (unsigned long)getpid());
        path[len++] = '.';
        len += put_decimal(path + len, n);
        path[len] = '\0';
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            log_fd = fd;
            write_header(fd);
            log_next = 0;
            if (map_chunk(0) != 0) {
                close(fd);
                log_fd = -1;
                log_disabled = 1;
            }
            return;
        }
        if (errno != EEXIST)
            break;
    }
    log_disabled = 1;
}

/* Append one entry (caller holds log_lock and has done the real call: R1). */
static void log_entry(enum rec_kind kind, const void *ptr, const void *old, size_t size, size_t align)
{
    if (log_disabled || (log_limit && log_next >= log_limit))
        return;
    if (log_next - log_chunk_first == entries_per_chunk() && map_chunk(log_next) != 0) {
        log_disabled = 1;
        return;
    }
    if (!my_tid)
        my_tid = (uint32_t)gettid();
    struct rec_entry *e = &log_map[log_next - log_chunk_first];
    e->ptr = (uint64_t)(uintptr_t)ptr;
    e->old = (uint64_t)(uintptr_t)old;
    e->size = (uint64_t)size;
    e->align = (uint32_t)align;
    e->tid16 = (uint16_t)my_tid;
    e->kind = (uint16_t)kind;   /* a zero kind marks the end of the log */
    log_next++;
}

/* Cut the sparse tail off the file at a normal exit. */
__attribute__((destructor)) static void close_log(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_fd >= 0 && !log_disabled) {
        int r = ftruncate(log_fd, entry_offset(log_next));
        (void)r;
        /* Stores past the new end would fault: later calls (other libraries'
         * destructors) pass through unlogged; rec2trace frees what is live. */
        log_disabled = 1;
    }
    pthread_mutex_unlock(&log_lock);
}

/* ---- fork (R4) ------------------------------------------------------------------ */

static void before_fork(void) { pthread_mutex_lock(&log_lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&log_lock); }

static void after_fork_child(void)
{
    pthread_mutex_init(&log_lock, NULL);
    my_tid = 0;
    /* The parent's log stays the parent's: drop our view of it, start ours. */
    if (log_map)
        munmap(log_map, REC_CHUNK_BYTES);
    log_map = NULL;
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    log_chunk_first = log_next = 0;
    log_disabled = 0;
    open_log();
}

/* ---- setup ---------------------------------------------------------------------- */

static void resolve(void)
{
    resolving = 1;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_reallocarray = dlsym(RTLD_NEXT, "reallocarray");
    real_free = dlsym(RTLD_NEXT, "free");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = dlsym(RTLD_NEXT, "memalign");
    real_valloc = dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = dlsym(RTLD_NEXT, "pvalloc");
    resolving = 0;
    if (!real_malloc || !real_calloc || !real_realloc || !real_free) {
        static const char msg[] = "slablab recorder: cannot find libc's malloc\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        abort();
    }
    resolved = 1;
    in_hook++;   /* pthread_atfork and open_log may allocate: pass through (R2) */
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    open_log();
    in_hook--;
}

__attribute__((constructor)) static void recorder_init(void)
{
    if (!resolved && !resolving)
        resolve();
}

/* Every hook starts with this: 1 means "go straight to libc" (R2, R3). */
static int pass_through(void)
{
    if (!resolved && !resolving)
        resolve();
    return in_hook || log_disabled;
}

static void enter(void)
{
    in_hook++;
    pthread_mutex_lock(&log_lock);
}

static void leave(void)
{
    pthread_mutex_unlock(&log_lock);
    in_hook--;
}

/* ---- the hooks ------------------------------------------------------------------ */

void *malloc(size_t size)
{
    if (resolving)
        return boot_alloc(size);
    if (pass_through())
        return real_malloc(size);
    enter();
    void *p = real_malloc(size);
    if (p)
        log_entry(REC_MALLOC, p, NULL, size, 0);
    leave();
    return p;
}

void *calloc(size_t n, size_t size)
{
    if (resolving)
        return size && n > SIZE_MAX / size ? NULL : boot_alloc(n * size);
    if (pass_through())
        return real_calloc(n, size);
    enter();
    void *p = real_calloc(n, size);
    if (p)
        log_entry(REC_CALLOC, p, NULL, n * size, 0);
    leave();
    return p;
}

void free(void *ptr)
{
    if (!ptr || in_boot_arena(ptr))
        return;
    if (resolving)
        return;   /* libc's free is not known yet: leak it (only during setup) */
    if (pass_through()) {
        real_free(ptr);
        return;
    }
    enter();
    log_entry(REC_FREE, ptr, NULL, 0, 0);
    real_free(ptr);
    leave();
}

/* realloc of arena memory (only possible right after startup): move it out. */
static void *realloc_from_arena(void *ptr, size_t size)
{
    void *p = malloc(size);
    if (p) {
        size_t room = (size_t)(boot_arena + sizeof boot_arena - (unsigned char *)ptr);
        memcpy(p, ptr, size < room ? size : room);
    }
    return p;
}

void *realloc(void *ptr, size_t size)
{
    if (resolving)
        return boot_alloc(size);
    if (ptr && in_boot_arena(ptr))
        return realloc_from_arena(ptr, size);
    if (pass_through())
        return real_realloc(ptr, size);
    enter();
    void *p = real_realloc(ptr, size);
    /* Logged when the heap changed: success, or realloc(ptr, 0) freeing ptr. */
    if (p || (ptr && size == 0))
        log_entry(REC_REALLOC, p, ptr, size, 0);
    leave();
    return p;
}

void *reallocarray(void *ptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    if (!real_reallocarray && resolved)
        return realloc(ptr, n * size);
    if (resolving)
        return boot_alloc(n * size);
    if (ptr && in_boot_arena(ptr))
        return realloc_from_arena(ptr, n * size);
    if (pass_through())
        return real_reallocarray(ptr, n, size);
    enter();
    void *p = real_reallocarray(ptr, n, size);
    if (p || (ptr && n * size == 0))
        log_entry(REC_REALLOC, p, ptr, n * size, 0);
    leave();
    return p;
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (pass_through())
        return real_posix_memalign(out, align, size);
    enter();
    int rc = real_posix_memalign(out, align, size);
    if (rc == 0 && *out)
        log_entry(REC_ALIGNED, *out, NULL, size, align);
    leave();
    return rc;
}

/* The four aligned allocators that return their pointer share one shape. */
#define ALIGNED_HOOK(name, params, args, align_expr, size_expr)          \
    void *name params                                                    \
    {                                                                    \
        if (pass_through())                                              \
            return real_##name args;                                     \
        enter();                                                         \
        void *p = real_##name args;                                      \
        if (p)                                                           \
            log_entry(REC_ALIGNED, p, NULL, size_expr, align_expr);     \
        leave();                                                         \
        return p;                                                        \
    }

ALIGNED_HOOK(aligned_alloc, (size_t align, size_t size), (align, size), align, size)
ALIGNED_HOOK(memalign, (size_t align, size_t size), (align, size), align, size)
ALIGNED_HOOK(valloc, (size_t size), (size), 4096, size)
ALIGNED_HOOK(pvalloc, (size_t size), (size), 4096, size)
