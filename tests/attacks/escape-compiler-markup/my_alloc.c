/*
 * tests/attacks/escape-compiler-markup/my_alloc.c -- an ATTACK on the grader
 * (tests/test_attacks.py).
 *
 * What it tries: makes the compiler print lines of its choosing: a #pragma message
 *   whose string holds newlines, a ``` that closes the job summary's fence around the
 *   build output, a heading and a <script> element; then #error, so the build fails
 *   and its output goes into the summary.
 *
 * Expected (the fixed design): compiler messages escaped in the summary (the fence
 *   holds), score 0 (it does not compile).
 *
 * Base: tests/allocators/implicit.c (an implicit free list), unless said otherwise;
 * the harness asserts it never scores more than that base without the trick.
 */
#pragma message ("PWNED\n```\n</details><script>alert('PWNED')</script>\n# PWNED Score 100/100\n| PWNED | 100 |")
#error this submission does not compile
