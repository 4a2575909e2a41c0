/*
 * pattern.h -- the bytes the driver writes into every payload.
 *
 * Byte i of id's payload is byte (i % 8) of pattern_word(id, i / 8), so a
 * shifted copy is caught as surely as an overwrite.  The checker writes and
 * verifies them (replay.c); a timed replay's loop in the allocator host
 * writes the very same bytes (host.c), so that a timed replay leaves the
 * heap image its checked replay left.
 */
#ifndef SLABLAB_PATTERN_H
#define SLABLAB_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t pattern_word(uint32_t id, size_t k)
{
    return ((uint64_t)id * 0x100000001b3ull + k + 1) * 0x9e3779b97f4a7c15ull;
}

static inline uint8_t pattern_byte(uint32_t id, size_t i)
{
    return (uint8_t)(pattern_word(id, i / 8) >> (8 * (i % 8)));
}

/* pattern_word(id, k + 1) - pattern_word(id, k): the words form an
 * arithmetic progression, so a fill is one add and one store per word. */
#define PATTERN_STEP 0x9e3779b97f4a7c15ull

/* Fill bytes [from, size) of payload p with id's pattern.  The timed
 * replays run this for both allocators alike (host.c), so it is kept lean. */
static inline void pattern_fill(void *p, uint32_t id, size_t from, size_t size)
{
    uint8_t *b = p;
    size_t i = from;
    for (; i < size && i % 8; i++)
        b[i] = pattern_byte(id, i);
    uint64_t w = pattern_word(id, i / 8);
    for (; i + 8 <= size; i += 8, w += PATTERN_STEP)
        memcpy(b + i, &w, 8);
    for (; i < size; i++)
        b[i] = pattern_byte(id, i);
}

/* The first byte of [0, size) that differs from id's pattern, or -1. */
static inline long pattern_check(const void *p, uint32_t id, size_t size)
{
    const uint8_t *b = p;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t w = pattern_word(id, i / 8), got;
        memcpy(&got, b + i, 8);
        if (got != w)
            break;
    }
    for (; i < size; i++)
        if (b[i] != pattern_byte(id, i))
            return (long)i;
    return -1;
}

#endif /* SLABLAB_PATTERN_H */
