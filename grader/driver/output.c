/*
 * output.c -- the driver's three ways of speaking: a table for people, one
 * JSON document for the grader (fields documented in README.md), and the
 * statistics of --lint.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

/* "op 17 (line 22: a 5 100)" */
void describe_op(char *buf, size_t n, const struct trace *t, long op)
{
    if (op < 0 || (size_t)op >= t->nops) {
        snprintf(buf, n, "setup");
        return;
    }
    const struct op *o = &t->ops[op];
    if (o->kind == OP_FREE)
        snprintf(buf, n, "op %ld (line %u: f %u)", op, t->lines[op], o->id);
    else
        snprintf(buf, n, "op %ld (line %u: %c %u %u)", op, t->lines[op], (char)o->kind, o->id, o->size);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- the table ------------------------------------------------------------------- */

/* The allocator's bytes for a terminal: printable ASCII as is, the rest as
 * \n, \t or \xNN, so that no escape sequence or control byte gets through. */
static void print_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c < 0x20 || c >= 0x7f || c == '\\')
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

static void percent(char *b, size_t n, double v)
{
    if (v < 0)
        snprintf(b, n, "-");
    else
        snprintf(b, n, "%.1f%%", 100 * v);
}

void print_table(const struct report *reps, size_t n, const struct options *o)
{
    printf("%-28s %9s %5s %7s %8s %9s %9s %7s\n", "trace", "ops", "ok", "util", "ceiling",
           "Mops/s", "libc", "ratio");
    size_t ok = 0, timed = 0;
    double util_sum = 0, ratios[4096];
    for (size_t i = 0; i < n; i++) {
        const struct report *r = &reps[i];
        char u[16], c[16], rate[16] = "-", libc[16] = "-", ratio[16] = "-";
        percent(u, sizeof u, r->correct ? r->util : -1);
        percent(c, sizeof c, r->ceiling);
        if (r->correct && r->samples) {
            snprintf(rate, sizeof rate, "%.2f", r->rate[0] / 1e6);
            snprintf(libc, sizeof libc, "%.2f", r->libc_rate[0] / 1e6);
            snprintf(ratio, sizeof ratio, "%.2fx", r->ratio[0]);
            if (timed < sizeof ratios / sizeof ratios[0])
                ratios[timed++] = r->ratio[0];
        }
        printf("%-28.28s %9zu %5s %7s %8s %9s %9s %7s\n", base_name(r->path), r->trace.nops,
               r->correct ? "yes" : "FAIL", u, c, rate, libc, ratio);
        if (r->correct) {
            ok++;
            if (r->util >= 0)
                util_sum += r->util;
        }
    }
    printf("\n%zu of %zu traces correct", ok, n);
    if (ok && !o->libc)
        printf("; mean utilization %.1f%%", 100 * util_sum / (double)ok);
    if (timed) {
        /* median of the per-trace ratios */
        for (size_t i = 1; i < timed; i++)
            for (size_t j = i; j > 0 && ratios[j - 1] > ratios[j]; j--) {
                double t = ratios[j]; ratios[j] = ratios[j - 1]; ratios[j - 1] = t;
            }
        double med = timed % 2 ? ratios[timed / 2] : (ratios[timed / 2 - 1] + ratios[timed / 2]) / 2;
        printf("; median throughput %.2fx libc (same run)", med);
    }
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        const struct report *r = &reps[i];
        if (r->correct)
            continue;
        char op[160] = "";
        if (r->op >= 0) {
            describe_op(op, sizeof op, &r->trace, r->op);
            strcat(op, ": ");
        }
        if (strcmp(r->kind, "trace") == 0)
            printf("FAIL %s: %s\n", base_name(r->path), r->message);
        else
            printf("FAIL %s: %s%s [%s]\n", base_name(r->path), op, r->message, r->kind);
        if (r->output_len) {
            printf("     the allocator printed: ");
            print_escaped(r->output, r->output_len > 400 ? 400 : r->output_len);
            printf("%s\n", r->output_len > 400 ? " ..." : "");
        }
    }
    for (size_t i = 0; i < n; i++)
        if (reps[i].timing_note[0])
            printf("NOTE %s: %s\n", base_name(reps[i].path), reps[i].timing_note);
    if (o->verbose)
        for (size_t i = 0; i < n; i++)
            if (reps[i].correct)
                printf("%s: checked replay at %.2f Mops/s (driver checks included); %d timing samples\n",
                       base_name(reps[i].path), reps[i].checked_rate / 1e6, reps[i].samples);
}

/* ---- JSON ---------------------------------------------------------------------- */

static void json_string(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c == '\t')
            printf("\\t");
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);   /* bytes, not UTF-8: the allocator's output is untrusted */
        else
            putchar(c);
    }
    putchar('"');
}

static void json_cstring(const char *s) { json_string(s, strlen(s)); }

static void json_number(double v, int known)
{
    if (!known || !isfinite(v))
        printf("null");
    else
        printf("%.17g", v);   /* round-trips a double exactly */
}

static void json_rates(const char *key, const double v[3], int known)
{
    printf("\"%s\": ", key);
    json_number(v[0], known);
    printf(", \"%s_min\": ", key);
    json_number(v[1], known);
    printf(", \"%s_max\": ", key);
    json_number(v[2], known);
}

static void json_blocks(const struct heap_map *hm)
{
    printf("[");
    for (size_t i = 0; i < hm->n; i++) {
        const struct map_block *b = &hm->blocks[i];
        printf("%s[%lld,%lld,%lld,%lld,%lld]", i ? "," : "", (long long)b->offset,
               (long long)b->size, (long long)b->payload, (long long)b->requested,
               (long long)b->slab_class);
    }
    printf("]");
}

/* --frames: the heap after every op of the first checked replay. */
static void json_frames(const struct report *r)
{
    const struct trace *t = &r->trace;
    uint64_t *sizes = calloc(t->nids ? t->nids : 1, sizeof *sizes), live = 0;
    if (!sizes)
        return;
    /* a failed trace: the ops of the first replay before the failing one */
    size_t shown = r->correct || r->failed_pass > 1 ? t->nops
                   : r->op > 0 && (size_t)r->op < t->nops ? (size_t)r->op : 0;
    printf(",\n     \"frames\": [");
    for (size_t i = 0; i < shown; i++) {
        const struct op *op = &t->ops[i];
        const struct heap_map *hm = &r->frames[i];
        live -= sizes[op->id];
        sizes[op->id] = op->kind == OP_FREE ? 0 : op->size;
        live += sizes[op->id];
        printf("%s\n      {\"op\": %zu, \"line\": %u, \"kind\": \"%s\", \"id\": %u, \"size\": %u, "
               "\"offset\": ", i ? "," : "", i, t->lines[i],
               op->kind == OP_ALLOC ? "alloc" : op->kind == OP_FREE ? "free" : "realloc", op->id, op->size);
        r->frame_offsets[i] >= 0 ? printf("%lld", (long long)r->frame_offsets[i]) : printf("null");
        printf(", \"heap_size\": %llu, \"live_payload\": %llu, \"walk\": %s, \"blocks\": ",
               (unsigned long long)hm->heap_size, (unsigned long long)live, hm->walk ? "true" : "false");
        json_blocks(hm);
        printf("}");
    }
    printf("]");
    free(sizes);
}

static void json_heapdump(const struct report *r)
{
    printf(",\n     \"peak_op\": %zu, \"series\": {\"op\": [", r->trace.peak_op);
    for (size_t i = 0; i < r->nseries; i++)
        printf("%s%u", i ? "," : "", r->series[i].op);
    printf("], \"payload\": [");
    for (size_t i = 0; i < r->nseries; i++)
        printf("%s%llu", i ? "," : "", (unsigned long long)r->series[i].payload);
    printf("], \"heap\": [");
    for (size_t i = 0; i < r->nseries; i++)
        printf("%s%llu", i ? "," : "", (unsigned long long)r->series[i].heap);
    printf("]},\n     \"heapmaps\": [");
    for (int m = 0; m < r->nmaps; m++) {
        const struct heap_map *hm = &r->maps[m];
        printf("%s{\"when\": \"%s\", \"op\": %u, \"heap_size\": %llu, \"walk\": %s, \"blocks\": ",
               m ? ", " : "", m == 0 ? "peak" : "end", hm->op, (unsigned long long)hm->heap_size,
               hm->walk ? "true" : "false");
        json_blocks(hm);
        printf("}");
    }
    printf("]");
}

void print_json(const struct report *reps, size_t n, const struct options *o)
{
    printf("{\"version\": 1, \"allocator\": \"%s\", \"timeout_s\": %g, \"traces\": [\n",
           o->libc ? "libc" : "my_alloc", o->timeout_s);
    size_t ok = 0, nutil = 0, timed = 0;
    double util_sum = 0, *ratios = calloc(n ? n : 1, sizeof *ratios);
    uint64_t total_ops = 0;
    for (size_t i = 0; i < n; i++) {
        const struct report *r = &reps[i];
        int timing = r->correct && r->samples > 0;
        printf("  {\"name\": ");
        json_cstring(base_name(r->path));
        printf(", \"path\": ");
        json_cstring(r->path);
        printf(", \"correct\": %s, \"error\": ", r->correct ? "true" : "false");
        if (r->correct) {
            printf("null");
        } else {
            printf("{\"kind\": ");
            json_cstring(r->kind);
            printf(", \"op\": ");
            r->op >= 0 ? printf("%ld", r->op) : printf("null");
            printf(", \"line\": ");
            r->line >= 0 ? printf("%ld", r->line) : printf("null");
            printf(", \"message\": ");
            json_cstring(r->message);
            printf("}");
        }
        printf(",\n   \"ops\": %zu, \"peak_payload\": %zu, \"heap_size\": ", r->trace.nops,
               r->trace.peak_payload);
        if (r->correct && !o->libc)
            printf("%llu", (unsigned long long)r->heap_size);   /* exact: %g would round it */
        else
            printf("null");
        printf(", \"replay_digest\": ");
        if (r->correct && !o->libc)
            printf("\"%016llx\"", (unsigned long long)r->replay_digest);
        else
            printf("null");
        printf(", \"util\": ");
        json_number(r->util, r->correct && r->util >= 0);
        printf(", \"ceiling\": ");
        json_number(r->ceiling, r->ceiling >= 0);
        printf(",\n   ");
        json_rates("ops_per_sec", r->rate, timing);
        printf(",\n   ");
        json_rates("libc_ops_per_sec", r->libc_rate, timing);
        printf(",\n   ");
        json_rates("ratio", r->ratio, timing);
        printf(", \"samples\": %d, \"checked_ops_per_sec\": ", timing ? r->samples : 0);
        json_number(r->checked_rate, r->correct && r->checked_rate > 0);
        printf(",\n   \"output\": ");
        json_string(r->output ? r->output : "", r->output_len);
        printf(", \"output_truncated\": %s, \"timing_note\": ", r->output_truncated ? "true" : "false");
        r->timing_note[0] ? json_cstring(r->timing_note) : (void)printf("null");
        if (o->heapdump && r->correct)
            json_heapdump(r);
        if (r->frames && r->frame_offsets)
            json_frames(r);
        printf("}%s\n", i + 1 < n ? "," : "");
        total_ops += r->trace.nops;
        if (r->correct) {
            ok++;
            if (r->util >= 0) {
                util_sum += r->util;
                nutil++;
            }
        }
        if (timing)
            ratios[timed++] = r->ratio[0];
    }
    double med = 0;
    if (timed) {
        for (size_t i = 1; i < timed; i++)
            for (size_t j = i; j > 0 && ratios[j - 1] > ratios[j]; j--) {
                double t = ratios[j]; ratios[j] = ratios[j - 1]; ratios[j - 1] = t;
            }
        med = timed % 2 ? ratios[timed / 2] : (ratios[timed / 2 - 1] + ratios[timed / 2]) / 2;
    }
    printf("], \"totals\": {\"traces\": %zu, \"correct\": %zu, \"ops\": %llu, \"util_mean\": ", n, ok,
           (unsigned long long)total_ops);
    json_number(nutil ? util_sum / (double)nutil : 0, nutil > 0);
    printf(", \"ratio_median\": ");
    json_number(med, timed > 0);
    printf("}}\n");
    free(ratios);
}

/* ---- --lint ---------------------------------------------------------------------- */

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

void print_lint(const struct trace *t)
{
    size_t n = t->count[0] + t->count[2], k = 0;
    size_t *sizes = malloc((n ? n : 1) * sizeof *sizes);
    if (!sizes)
        return;
    for (size_t i = 0; i < t->nops; i++)
        if (t->ops[i].kind != OP_FREE)
            sizes[k++] = t->ops[i].size;
    qsort(sizes, k, sizeof *sizes, cmp_size);
#define PCT(p) (k ? sizes[(size_t)((double)(k - 1) * (p))] : 0)
    printf("%s: ok\n", t->path);
    printf("  header      %s", t->has_header ? "" : "none\n");
    if (t->has_header)
        printf("%ld %ld %ld %ld\n", t->header[0], t->header[1], t->header[2], t->header[3]);
    printf("  requests    %zu (a %zu, f %zu, r %zu), ids %zu\n", t->nops, t->count[0], t->count[1],
           t->count[2], t->nids);
    printf("  sizes       min %zu, p50 %zu, p90 %zu, p99 %zu, max %zu\n", PCT(0.0), PCT(0.5), PCT(0.9),
           PCT(0.99), PCT(1.0));
    printf("  peak live   %zu bytes (after op %zu)\n", t->peak_payload, t->peak_op);
    printf("  ceiling     %.1f%% (zero fragmentation, 16-byte alignment)\n", 100 * trace_ceiling(t));
#undef PCT
    free(sizes);
}
