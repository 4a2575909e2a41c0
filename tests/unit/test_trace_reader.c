/*
 * test_trace_reader.c -- the trace reader accepts the three layouts and
 * rejects every malformed input with "name:line: reason".
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

static struct trace t;
static char err[1024];

static int parse(const char *text)
{
    return trace_parse("t.rep", text, strlen(text), &t, err, sizeof err);
}

static void expect_error(const char *text, const char *message)
{
    cr_assert_eq(parse(text), -1, "accepted: %s", text);
    cr_assert_str_eq(err, message);
    cr_assert_null(t.ops, "a rejected trace keeps no ops");
    cr_assert_null(t.lines);
}

static void teardown(void) { trace_free(&t); }
TestSuite(trace_reader, .fini = teardown);

/* ---- accepted layouts ----------------------------------------------------------- */

Test(trace_reader, csapp_header)
{
    cr_assert_eq(parse("20000\n2\n4\n1\na 0 10\na 1 20\nf 0\nr 1 40\n"), 0, "%s", err);
    cr_assert(t.has_header);
    cr_assert_eq(t.nops, 4);
    cr_assert_eq(t.nids, 2);
    cr_assert_eq(t.ops[3].kind, OP_REALLOC);
    cr_assert_eq(t.ops[3].size, 40);
    cr_assert_eq(t.lines[3], 8);
    cr_assert_eq(t.peak_payload, 40);
    cr_assert_eq(t.peak_op, 3);
}

Test(trace_reader, cmu_64bit_header)
{
    /* weight, ids, ops, max live: ids and ops sit where CS:APP puts them. */
    cr_assert_eq(parse("1\n1\n2\n100\na 0 100\nf 0\n"), 0, "%s", err);
    cr_assert_eq(t.header[3], 100);
    cr_assert_eq(t.nops, 2);
}

Test(trace_reader, headerless_with_comments)
{
    cr_assert_eq(parse("# a comment\n\n  a 5 16   # trailing\n\tf 5\r\na 7 1\n"), 0, "%s", err);
    cr_assert_not(t.has_header);
    cr_assert_eq(t.nops, 3);
    cr_assert_eq(t.nids, 8);
    cr_assert_eq(t.lines[0], 3);
}

Test(trace_reader, comments_before_header)
{
    cr_assert_eq(parse("# made by gen.py\n0\n1\n1\n1\na 0 8\n"), 0, "%s", err);
    cr_assert(t.has_header);
}

Test(trace_reader, realloc_of_unused_id_is_malloc)
{
    cr_assert_eq(parse("r 3 24\nf 3\n"), 0, "%s", err);
    cr_assert_eq(t.ops[0].kind, OP_ALLOC);
    cr_assert_eq(t.count[0], 1);
}

Test(trace_reader, id_reuse_after_free)
{
    cr_assert_eq(parse("a 0 8\nf 0\na 0 16\nf 0\n"), 0, "%s", err);
}

Test(trace_reader, last_line_without_newline)
{
    cr_assert_eq(parse("a 0 8\nf 0"), 0, "%s", err);
    cr_assert_eq(t.nops, 2);
}

Test(trace_reader, empty_file_is_an_empty_trace)
{
    cr_assert_eq(parse("# nothing\n"), 0, "%s", err);
    cr_assert_eq(t.nops, 0);
    cr_assert_float_eq(trace_ceiling(&t), 1.0, 1e-12);
}

Test(trace_reader, ceiling_counts_alignment)
{
    /* 1 + 17 bytes live: a perfect allocator still needs 16 + 32. */
    cr_assert_eq(parse("a 0 1\na 1 17\n"), 0, "%s", err);
    cr_assert_eq(t.peak_payload, 18);
    cr_assert_eq(t.peak_aligned, 48);
    cr_assert_float_eq(trace_ceiling(&t), 18.0 / 48.0, 1e-12);
}

Test(trace_reader, ceiling_takes_the_peak_of_each_sum_separately)
{
    /* payload peaks at 100 (op 2); the aligned sum peaks later at 3 * 16. */
    cr_assert_eq(parse("a 0 100\nf 0\na 1 1\na 2 1\na 3 1\n"), 0, "%s", err);
    cr_assert_eq(t.peak_payload, 100);
    cr_assert_eq(t.peak_aligned, 112);
}

/* ---- rejected input ----------------------------------------------------------------- */

Test(trace_reader, unknown_op)
{
    expect_error("a 0 8\nm 1 8\n", "t.rep:2: unknown operation 'm' (expected a, f or r)");
}

Test(trace_reader, unknown_word)
{
    expect_error("alloc 0 8\n", "t.rep:1: unknown operation 'alloc 0 8' (expected a, f or r)");
}

Test(trace_reader, id_out_of_header_range)
{
    expect_error("0\n2\n1\n1\na 2 8\n", "t.rep:5: id 2 out of range: the header declares 2 ids");
}

Test(trace_reader, id_out_of_range_headerless)
{
    expect_error("a 16777216 8\n", "t.rep:1: id 16777216 out of range (at most 16777215)");
}

Test(trace_reader, free_never_allocated)
{
    expect_error("a 0 8\nf 1\n", "t.rep:2: free of id 1, which was never allocated");
}

Test(trace_reader, double_free)
{
    expect_error("a 0 8\nf 0\nf 0\n", "t.rep:3: free of id 0, which was already freed at line 2");
}

Test(trace_reader, alloc_of_live_id)
{
    expect_error("a 0 8\na 0 8\n", "t.rep:2: id 0 is already live (allocated at line 1)");
}

Test(trace_reader, realloc_after_free)
{
    expect_error("a 0 8\nf 0\nr 0 9\n", "t.rep:3: realloc of id 0, which was freed at line 2");
}

Test(trace_reader, realloc_to_zero)
{
    expect_error("a 0 8\nr 0 0\n", "t.rep:2: realloc to 0 bytes (write 'f 0' instead)");
}

Test(trace_reader, negative_size)
{
    expect_error("a 0 -8\n", "t.rep:1: negative size");
}

Test(trace_reader, negative_id)
{
    expect_error("f -1\n", "t.rep:1: negative id");
}

Test(trace_reader, ten_gigabytes)
{
    expect_error("a 0 10737418240\n", "t.rep:1: size 10737418240 exceeds the limit of 1073741824 bytes");
}

Test(trace_reader, number_too_large)
{
    expect_error("a 0 99999999999999999999999\n", "t.rep:1: size is too large");
}

Test(trace_reader, missing_size)
{
    expect_error("a 0\n", "t.rep:1: expected size, found end of line");
}

Test(trace_reader, trailing_garbage)
{
    expect_error("a 0 8 9\n", "t.rep:1: unexpected '9' at end of line");
}

Test(trace_reader, letters_in_number)
{
    expect_error("a 0 8k\n", "t.rep:1: unexpected 'k' after size 8");
}

Test(trace_reader, more_ops_than_header)
{
    expect_error("0\n1\n1\n1\na 0 8\nf 0\n", "t.rep:6: more requests than the 1 the header declares");
}

Test(trace_reader, truncated_after_header)
{
    expect_error("0\n1\n3\n1\na 0 8\nf 0\n", "t.rep:6: file ends after 2 of the 3 requests its header declares (truncated?)");
}

Test(trace_reader, short_header)
{
    expect_error("0\n1\na 0 8\n", "t.rep:3: header has 2 numbers, expected 4 (heap size or weight, ids, ops, weight or max live)");
}

Test(trace_reader, header_too_long)
{
    expect_error("0\n1\n1\n1\n1\na 0 8\n", "t.rep:5: header has more than 4 numbers");
}

Test(trace_reader, number_after_requests)
{
    expect_error("a 0 8\n42\n", "t.rep:2: a number where a request (a, f or r) was expected");
}

Test(trace_reader, header_without_requests)
{
    expect_error("0\n1\n1\n1\n", "t.rep:4: header with no requests after it");
}

Test(trace_reader, binary_nul)
{
    static const char bin[] = "a 0 8\n\x7f" "ELF\x02\x01\x01\0\0\0";
    cr_assert_eq(trace_parse("t.rep", bin, sizeof bin - 1, &t, err, sizeof err), -1);
    cr_assert_str_eq(err, "t.rep:2: NUL byte at column 8: this is binary data, not a trace");
}

Test(trace_reader, binary_high_bytes)
{
    expect_error("\xff\xfe" "a\n", "t.rep:1: unexpected byte 0xff (binary data?)");
}

Test(trace_reader, missing_file)
{
    cr_assert_eq(trace_read("/nonexistent/x.rep", &t, err, sizeof err), -1);
    cr_assert_str_eq(err, "/nonexistent/x.rep:0: cannot open: No such file or directory");
}

Test(trace_reader, reads_a_file)
{
    char path[] = "/tmp/slablab-trace-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char text[] = "a 0 24\nf 0\n";
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    int rc = trace_read(path, &t, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(t.name, strrchr(path, '/') + 1);
    cr_assert_eq(t.nops, 2);
}
