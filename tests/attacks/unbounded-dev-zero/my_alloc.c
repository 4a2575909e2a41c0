/*
 * tests/attacks/unbounded-dev-zero/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: #include "/dev/zero": the preprocessor reads an endless file, memory
 *   grows until something stops it.
 *
 * Expected (the fixed design): compile error (no /dev/zero in the compile sandbox, or
 *   the memory/time limit), quickly, no compiler process left; score 0.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */
#include "/dev/zero"
