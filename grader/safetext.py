"""Untrusted text, made safe for each place the grader writes it.

Everything a submission prints or names is data: the allocator's output (the
driver document's per-trace `output`), compiler diagnostics (they quote the
submission's lines), symbol names (an asm label can be any string), file and
student names, and any message that embeds one of them.  This module is the
one place that turns such text into something a sink can show without the
text acting on the sink:

  clean(s)        any value -> str that is valid UTF-8 (lone surrogates
                  replaced), with every control or invisible formatting
                  character (C0 but \\n and \\t, DEL, C1, bidi overrides,
                  zero-width marks) written as a visible escape (\\x1b,
                  \\u202e), a lone CR as \\r, and GitHub's legacy "##[" command
                  prefix broken to "##\\[";
  line(s, cap)    clean, on one line: \\n and \\t written as \\n and \\t, at
                  most `cap` characters, then " [truncated]";
  block(s, ...)   clean, capped, every line prefixed with "| " (a quote mark
                  that is not white space: GitHub trims leading blanks before
                  it looks for "::"), so nothing in it can pass as a line of
                  the grader's own report or start a workflow command;
  gh_data/gh_prop GitHub workflow-command escaping (%25 %0D %0A, and %3A %2C
                  in properties), applied after line();
  md_code/md_fence Markdown that cannot break out: an inline code span or a
                  fenced block whose backtick fence is longer than any run of
                  backticks in the text (no HTML, links or emphasis inside).

Invariants: every function returns a str whatever it is given; the output of
clean() contains no character below U+0020 other than \\n and \\t and no
character of Unicode category Cc/Cf/Cs/Co/Cn; line() has no newline; every
line of block() starts with its prefix.
"""
from __future__ import annotations

import unicodedata

# Caps on the allocator's output, per trace and over a whole report.
OUTPUT_PER_TRACE = 4096
OUTPUT_TOTAL = 64 * 1024
# Caps on one-line fields (messages, names) and on compiler output blocks.
LINE_CAP = 500
NAME_CAP = 120
BLOCK_CAP = 8192

TRUNCATED = "[truncated]"
QUOTE = "| "


def _escape_char(ch: str) -> str:
    o = ord(ch)
    if o < 0x100:
        return f"\\x{o:02x}"
    return f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def _unsafe(ch: str) -> bool:
    if ch == "\n" or ch == "\t":
        return False
    o = ord(ch)
    if 0x20 <= o < 0x7f:
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def clean(s) -> str:
    """Any value as safe, valid text (see the module comment)."""
    if s is None:
        return ""
    if not isinstance(s, str):
        s = str(s)
    # Lone surrogates (JSON "\\ud800") are not UTF-8: make them visible.
    if any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        s = "".join(_escape_char(c) if 0xD800 <= ord(c) <= 0xDFFF else c for c in s)
    s = s.replace("\r\n", "\n").replace("\r", "\\r")
    if not s.isascii() or any(ord(c) < 0x20 or ord(c) == 0x7f for c in s if c not in "\n\t"):
        s = "".join(_escape_char(c) if _unsafe(c) else c for c in s)
    return s.replace("##[", "##\\[")


def cap(s: str, limit: int) -> str:
    """At most `limit` characters of s, then " [truncated]" when cut."""
    if limit is None or len(s) <= limit:
        return s
    return s[:max(0, limit)] + " " + TRUNCATED


def line(s, limit: int = LINE_CAP) -> str:
    """One line of clean text: newlines and tabs shown as \\n and \\t."""
    s = clean(s)
    if len(s) > 4 * limit + 16:         # don't escape megabytes we will cut anyway
        s = s[:4 * limit + 16]
        s = cap(s.replace("\n", "\\n").replace("\t", "\\t"), limit)
        return s if s.endswith(TRUNCATED) else s + " " + TRUNCATED
    return cap(s.replace("\n", "\\n").replace("\t", "\\t"), limit)


def name(s) -> str:
    return line(s, NAME_CAP)


def block(s, limit: int = OUTPUT_PER_TRACE, prefix: str = QUOTE) -> str:
    """Clean text capped at `limit` characters, every line prefixed."""
    raw = s if isinstance(s, str) else clean(s)
    cut = len(raw) > limit
    text = clean(raw[:limit] if cut else raw)
    if len(text) > 4 * limit:           # escapes make it longer: bound that too
        text, cut = text[:4 * limit], True
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if cut:
        lines.append(f"{TRUNCATED} ({len(raw)} characters, {limit} shown)")
    return "\n".join(prefix + ln for ln in lines)


class Budget:
    """How much allocator output one report may still show (OUTPUT_TOTAL)."""

    def __init__(self, total: int = OUTPUT_TOTAL, per_trace: int = OUTPUT_PER_TRACE):
        self.left, self.per_trace = total, per_trace

    def take(self, text: str) -> int:
        """The number of characters of `text` to show (0: the budget is spent)."""
        n = min(len(text), self.per_trace, self.left)
        self.left -= n
        return n


def output_block(text, budget: Budget | None = None, prefix: str = QUOTE) -> str:
    """The allocator's output for a text report: a header that says what it
    is, then the quoted, capped lines.  "" when there is no output."""
    if not text:
        return ""
    text = text if isinstance(text, str) else clean(text)
    n = budget.take(text) if budget else min(len(text), OUTPUT_PER_TRACE)
    head = f"allocator output ({len(text)} characters; its own text, not the grader's):"
    if n == 0:
        return head + "\n" + prefix + f"{TRUNCATED} (the report's {OUTPUT_TOTAL // 1024} KiB of " \
                                      "allocator output is used up)"
    return head + "\n" + block(text, n, prefix)


# ---------------------------------------------------------------- GitHub --

def guard_lines(text: str) -> str:
    """The last lock for text printed to a GitHub Actions log: a line that
    would start with "::" once leading blanks are trimmed (the runner's
    rule) gets its first ':' written as \\x3a.  Lines the grader writes
    never start so; a submission's name or message might."""
    if "::" not in text:
        return text
    out = []
    for ln in text.split("\n"):
        body = ln.lstrip()
        if body.startswith("::"):
            ln = ln[:len(ln) - len(body)] + "\\x3a" + body[1:]
        out.append(ln)
    return "\n".join(out)


def gh_data(s, limit: int = LINE_CAP * 4) -> str:
    """A workflow command's message: %, CR, LF escaped (GitHub's toolkit rules)."""
    s = cap(clean(s), limit)
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_prop(s, limit: int = NAME_CAP * 2) -> str:
    """A workflow command's property value: also ':' and ','."""
    return gh_data(line(s, limit)).replace(":", "%3A").replace(",", "%2C")


# -------------------------------------------------------------- Markdown --

def _longest_run(s: str, ch: str = "`") -> int:
    best = run = 0
    for c in s:
        run = run + 1 if c == ch else 0
        best = max(best, run)
    return best


def md_code(s, limit: int = LINE_CAP) -> str:
    """An inline code span (safe in a table cell): nothing inside is Markdown
    or HTML; '|' is escaped as GFM tables require even in code spans."""
    s = line(s, limit)
    if not s:
        return ""
    fence = "`" * (_longest_run(s) + 1)
    return f"{fence} {s.replace('|', chr(92) + '|')} {fence}"


def md_fence(s, limit: int = BLOCK_CAP, info: str = "text") -> str:
    """A fenced code block that the text cannot close."""
    body = block(s, limit, prefix="") if s else ""
    fence = "`" * max(3, _longest_run(body) + 1)
    return f"{fence}{info}\n{body}\n{fence}"
