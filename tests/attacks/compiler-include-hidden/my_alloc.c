/*
 * tests/attacks/compiler-include-hidden/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: #include of the hidden trace itself: the compiler's error messages
 *   quote the included lines (requests and header comment), and the grader reports
 *   them.
 *
 * Expected (the fixed design): compile error naming only the submission's own line
 *   (file not found), nothing of the hidden trace in any output, score 0.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */
#define ATTACK_DIR "@ATTACK_DIR@"
#include "@ATTACK_DIR@/hidden/hidden-canary.rep"
