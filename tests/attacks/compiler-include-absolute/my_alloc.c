/*
 * tests/attacks/compiler-include-absolute/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: the absolute-path form: #include of <kit>/solution/my_alloc.c (the
 *   harness fills in the kit's path).
 *
 * Expected (the fixed design): compile error (not readable from the compile sandbox),
 *   score 0.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */
#include "@KIT@/solution/my_alloc.c"
