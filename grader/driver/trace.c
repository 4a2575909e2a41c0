/*
 * trace.c -- the trace reader (format and rules in trace.h and traces/README.md).
 *
 * One pass over the file, line by line.  Each line is one of: blank, comment,
 * header number (only before the first request), or request.  Every request is
 * checked against the state of its id, so the driver can replay the result
 * without any further validation:
 *   T1  an id is < nids (the header's count, or MAX_IDS without a header);
 *   T2  'a' names an id that is not live; 'f' names a live id; 'r' names a
 *       live id (or a never-used one: then it is read as 'a');
 *   T3  every size is in [0, MAX_REQUEST]; a realloc size is >= 1;
 *   T4  with a header, the number of requests equals the header's op count.
 * Errors are reported as "file:line: reason" and stop the reading.
 */
#include "trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum id_state { ID_UNUSED = 0, ID_LIVE, ID_FREED };

struct id_info {
    uint8_t state;
    uint32_t line;   /* line of the last request on this id */
    size_t size;     /* live size */
};

struct reader {
    const char *name;
    const char *p, *end;          /* unread input */
    uint32_t line;
    char *err;
    size_t errlen;
    struct trace *t;
    struct id_info *ids;
    size_t ids_cap;
    size_t ops_cap;
    size_t live, live_aligned;
};

static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct reader *r, const char *fmt, ...)
{
    int n = snprintf(r->err, r->errlen, "%s:%u: ", r->name, r->line);
    if (n >= 0 && (size_t)n < r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- tokens ---------------------------------------------------------------- */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static void skip_spaces(const char **p, const char *eol)
{
    while (*p < eol && is_space(**p))
        (*p)++;
}

/* Parse a decimal number at *p.  what names it in messages ("size", "id"). */
static int read_number(struct reader *r, const char **p, const char *eol,
                       const char *what, long long *out)
{
    skip_spaces(p, eol);
    if (*p >= eol || **p == '#')
        return fail(r, "expected %s, found end of line", what);
    if (**p == '-')
        return fail(r, "negative %s", what);
    if (**p < '0' || **p > '9') {
        unsigned char c = (unsigned char)**p;
        if (c < 0x20 || c >= 0x7f)
            return fail(r, "unexpected byte 0x%02x where %s was expected (binary data?)", c, what);
        return fail(r, "expected %s, found '%c'", what, c);
    }
    unsigned long long v = 0;
    while (*p < eol && **p >= '0' && **p <= '9') {
        unsigned d = (unsigned)(**p - '0');
        if (v > (1ULL << 62) / 10)
            return fail(r, "%s is too large", what);
        v = v * 10 + d;
        (*p)++;
    }
    if (*p < eol && !is_space(**p) && **p != '#')
        return fail(r, "unexpected '%c' after %s %llu", **p, what, v);
    *out = (long long)v;
    return 0;
}

static int expect_end(struct reader *r, const char *p, const char *eol)
{
    skip_spaces(&p, eol);
    if (p < eol && *p != '#')
        return fail(r, "unexpected '%.*s' at end of line", (int)(eol - p > 20 ? 20 : eol - p), p);
    return 0;
}

/* ---- per-id state ---------------------------------------------------------- */

static struct id_info *id_slot(struct reader *r, size_t id)
{
    if (id >= r->ids_cap) {
        size_t cap = r->ids_cap ? r->ids_cap : 1024;
        while (cap <= id)
            cap *= 2;
        struct id_info *n = realloc(r->ids, cap * sizeof *n);
        if (!n)
            return NULL;
        memset(n + r->ids_cap, 0, (cap - r->ids_cap) * sizeof *n);
        r->ids = n;
        r->ids_cap = cap;
    }
    return &r->ids[id];
}

static int push_op(struct reader *r, struct op op)
{
    struct trace *t = r->t;
    if (t->nops == r->ops_cap) {
        size_t cap = r->ops_cap ? r->ops_cap * 2 : 4096;
        struct op *n = realloc(t->ops, cap * sizeof *n);
        if (n)
            t->ops = n;
        uint32_t *l = realloc(t->lines, cap * sizeof *l);
        if (l)
            t->lines = l;
        if (!n || !l)
            return fail(r, "out of memory reading the trace");
        r->ops_cap = cap;
    }
    t->lines[t->nops] = r->line;
    t->ops[t->nops++] = op;
    return 0;
}

/* Apply op to the live totals and remember the peaks (T2 already checked). */
static void account(struct reader *r, struct id_info *s, size_t new_size)
{
    r->live = r->live - s->size + new_size;
    r->live_aligned = r->live_aligned - align16(s->size) + align16(new_size);
    s->size = new_size;
    struct trace *t = r->t;
    if (r->live > t->peak_payload) {
        t->peak_payload = r->live;
        t->peak_op = t->nops - 1;
    }
    if (r->live_aligned > t->peak_aligned)
        t->peak_aligned = r->live_aligned;
}

/* ---- one request line ------------------------------------------------------ */

static int read_request(struct reader *r, const char *p, const char *eol)
{
    struct trace *t = r->t;
    char kind = *p++;
    if (kind != 'a' && kind != 'f' && kind != 'r') {
        unsigned char c = (unsigned char)kind;
        if (c < 0x20 || c >= 0x7f)
            return fail(r, "unexpected byte 0x%02x (binary data?)", c);
        return fail(r, "unknown operation '%c' (expected a, f or r)", kind);
    }
    if (p < eol && !is_space(*p))
        return fail(r, "unknown operation '%.*s' (expected a, f or r)",
                    (int)(eol - p + 1 > 20 ? 20 : eol - p + 1), p - 1);

    long long id, size = 0;
    if (read_number(r, &p, eol, "id", &id))
        return -1;
    size_t limit = t->has_header ? t->nids : MAX_IDS;
    if ((size_t)id >= limit)
        return t->has_header
            ? fail(r, "id %lld out of range: the header declares %zu ids", id, t->nids)
            : fail(r, "id %lld out of range (at most %zu)", id, MAX_IDS - 1);
    if (kind != 'f') {
        if (read_number(r, &p, eol, "size", &size))
            return -1;
        if ((size_t)size > MAX_REQUEST)
            return fail(r, "size %lld exceeds the limit of %zu bytes", size, MAX_REQUEST);
        if (kind == 'r' && size == 0)
            return fail(r, "realloc to 0 bytes (write 'f %lld' instead)", id);
    }
    if (expect_end(r, p, eol))
        return -1;
    if (t->has_header && t->nops == (size_t)t->header[2])
        return fail(r, "more requests than the %ld the header declares", t->header[2]);

    struct id_info *s = id_slot(r, (size_t)id);
    if (!s)
        return fail(r, "out of memory reading the trace");
    switch (kind) {
    case 'a':
        if (s->state == ID_LIVE)
            return fail(r, "id %lld is already live (allocated at line %u)", id, s->line);
        break;
    case 'f':
        if (s->state == ID_UNUSED)
            return fail(r, "free of id %lld, which was never allocated", id);
        if (s->state == ID_FREED)
            return fail(r, "free of id %lld, which was already freed at line %u", id, s->line);
        break;
    case 'r':
        if (s->state == ID_FREED)
            return fail(r, "realloc of id %lld, which was freed at line %u", id, s->line);
        if (s->state == ID_UNUSED)
            kind = 'a';   /* realloc(NULL, n) is malloc(n) */
        break;
    }
    struct op op = { .kind = (uint32_t)kind, .id = (uint32_t)id, .size = (uint32_t)size,
                     .old_size = kind == 'r' ? (uint32_t)s->size : 0 };
    if (push_op(r, op))
        return -1;
    s->state = kind == 'f' ? ID_FREED : ID_LIVE;
    s->line = r->line;
    if ((size_t)id >= t->nids && !t->has_header)
        t->nids = (size_t)id + 1;
    t->count[kind == 'a' ? 0 : kind == 'f' ? 1 : 2]++;
    account(r, s, (size_t)size);
    return 0;
}

/* ---- the file -------------------------------------------------------------- */

int trace_parse(const char *name, const char *buf, size_t len, struct trace *t,
                char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    struct reader r = { .name = name, .p = buf, .end = buf + len, .err = err,
                        .errlen = errlen, .t = t };
    int nheader = 0;      /* header numbers read so far */
    int rc = 0;
    const char *nul = memchr(buf, '\0', len);

    while (r.p < r.end && rc == 0) {
        const char *eol = memchr(r.p, '\n', (size_t)(r.end - r.p));
        if (!eol)
            eol = r.end;
        r.line++;
        const char *p = r.p;
        r.p = eol + 1;
        if (nul && nul < eol) {
            rc = fail(&r, "NUL byte at column %ld: this is binary data, not a trace",
                      (long)(nul - p) + 1);
            break;
        }
        skip_spaces(&p, eol);
        if (p == eol || *p == '#')
            continue;
        if (*p >= '0' && *p <= '9') {
            if (t->nops > 0) {
                rc = fail(&r, "a number where a request (a, f or r) was expected");
            } else if (nheader == 4) {
                rc = fail(&r, "header has more than 4 numbers");
            } else {
                long long v;
                rc = read_number(&r, &p, eol, "header number", &v);
                if (rc == 0)
                    rc = expect_end(&r, p, eol);
                if (rc == 0)
                    t->header[nheader++] = (long)v;
            }
            continue;
        }
        if (nheader > 0 && !t->has_header) {
            if (nheader != 4) {
                rc = fail(&r, "header has %d numbers, expected 4 "
                              "(heap size or weight, ids, ops, weight or max live)", nheader);
                break;
            }
            t->has_header = 1;
            t->nids = (size_t)t->header[1];
            if (t->nids > MAX_IDS) {
                rc = fail(&r, "header declares %zu ids (at most %zu)", t->nids, MAX_IDS);
                break;
            }
        }
        rc = read_request(&r, p, eol);
    }
    if (rc == 0 && nheader > 0 && !t->has_header)
        rc = fail(&r, "header with no requests after it");
    if (rc == 0 && t->has_header && t->nops != (size_t)t->header[2])
        rc = fail(&r, "file ends after %zu of the %ld requests its header declares (truncated?)",
                  t->nops, t->header[2]);
    free(r.ids);
    if (rc != 0) {
        free(t->ops);
        free(t->lines);
        memset(t, 0, sizeof *t);
        return -1;
    }
    return 0;
}

int trace_read(const char *path, struct trace *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            if (cap > MAX_TRACE_FILE + 1) {
                snprintf(err, errlen, "%s:0: file is larger than %zu bytes", path, MAX_TRACE_FILE);
                free(buf);
                fclose(f);
                return -1;
            }
            char *n = realloc(buf, cap);
            if (!n) {
                snprintf(err, errlen, "%s:0: out of memory reading the file", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = n;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        snprintf(err, errlen, "%s:0: read error", path);
        free(buf);
        return -1;
    }
    int rc = trace_parse(path, buf, len, t, err, errlen);
    free(buf);
    if (rc == 0) {
        t->path = strdup(path);
        const char *slash = strrchr(t->path, '/');
        t->name = slash ? slash + 1 : t->path;
    }
    return rc;
}

void trace_free(struct trace *t)
{
    free(t->ops);
    free(t->lines);
    free(t->path);
    memset(t, 0, sizeof *t);
}

double trace_ceiling(const struct trace *t)
{
    return t->peak_aligned ? (double)t->peak_payload / (double)t->peak_aligned : 1.0;
}
