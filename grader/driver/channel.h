/*
 * channel.h -- posting and awaiting one message (protocol.h's struct msg).
 *
 * A waiter spins a little (a hand-off between two busy cores takes well
 * under a microsecond), then sleeps in FUTEX_WAIT on the slot's seq; a
 * poster that sees the peer's sleeping flag wakes it.  The flag is set
 * before the final re-check of seq and the poster stores seq before it
 * reads the flag (both sequentially consistent), so no wake-up is lost.
 *
 * Both sides include this; neither trusts the other's words: the checker
 * bounds every wait by its deadline, the host waits unbounded (it has no
 * clock, and the checker kills it when time is up).
 */
#ifndef SLABLAB_CHANNEL_H
#define SLABLAB_CHANNEL_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

#define CHANNEL_SPINS 2000   /* ~50-100 us: longer only steals the peer's core on a busy machine */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint32_t seq_load(const struct msg *m)
{
    return atomic_load_explicit((const _Atomic uint32_t *)&m->seq, memory_order_acquire);
}

static inline long futex_call(void *word, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* Publish (type, arg, arg2) as message number seq; wake the peer if it sleeps. */
static inline void msg_post(struct msg *m, uint32_t seq, uint32_t type, int64_t arg, int64_t arg2,
                            uint32_t *peer_sleeping)
{
    m->type = type;
    m->arg = arg;
    m->arg2 = arg2;
    atomic_store_explicit((_Atomic uint32_t *)&m->seq, seq, memory_order_seq_cst);
    if (atomic_load_explicit((_Atomic uint32_t *)peer_sleeping, memory_order_seq_cst))
        futex_call(&m->seq, FUTEX_WAKE, 1, NULL);
}

/* Wait until m->seq != old.  timeout: NULL (forever) or a relative time for
 * each sleep; returns the new seq, or old when a sleep timed out (the caller
 * looks at its clock and calls again). */
static inline uint32_t msg_wait_change(struct msg *m, uint32_t old, uint32_t *sleeping,
                                       const struct timespec *timeout)
{
    for (int i = 0; i < CHANNEL_SPINS; i++) {
        uint32_t s = seq_load(m);
        if (s != old)
            return s;
        cpu_relax();
    }
    atomic_store_explicit((_Atomic uint32_t *)sleeping, 1, memory_order_seq_cst);
    uint32_t s = atomic_load_explicit((_Atomic uint32_t *)&m->seq, memory_order_seq_cst);
    if (s == old) {
        futex_call(&m->seq, FUTEX_WAIT, old, timeout);
        s = seq_load(m);
    }
    atomic_store_explicit((_Atomic uint32_t *)sleeping, 0, memory_order_relaxed);
    return s;
}

#endif /* SLABLAB_CHANNEL_H */
