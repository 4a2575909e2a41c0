/*
 * tests/attacks/compiler-include-solution/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: #include "../solution/my_alloc.c": found through the kit's
 *   -I<kit>/include, it hands in the reference solution.
 *
 * Expected (the fixed design): compile error (the file does not exist where the
 *   compiler looks), score 0.
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */
#include "../solution/my_alloc.c"
