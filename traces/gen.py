#!/usr/bin/env python3
"""gen.py -- the seeded trace generator.

    traces/gen.py --pattern P --seed S --ops N [-o FILE]   one trace (stdout without -o)
    traces/gen.py --list                                   the patterns and what they stress
    traces/gen.py --public DIR                             the public synthetic set (fixed seeds)
    traces/gen.py --hidden DIR [--secret-file F]           a hidden set: every pattern, from the TA's
                                                           secret (F, or $SLABLAB_HIDDEN_SECRET;
                                                           --seed S is the secret "S", kept for old scripts)

The same (pattern, seed, ops) always gives the same trace, on every machine
and Python version: all randomness comes from random.Random(seed).random()
(the Mersenne Twister's stream is fixed), never from helpers whose algorithm
may change between versions.  A hidden set made with a secret seed has the
same shapes as the public set but different sizes, orders and lifetimes, so
an allocator tuned to the public files gains nothing it would not gain on
hidden ones.

Hidden traces reveal nothing about each other or the secret: trace NAME is
generated with the seed HMAC-SHA256(secret, "slablab hidden trace " + NAME)
(first 8 bytes), so one leaked hidden trace -- or even its seed -- gives no
other trace's seed, and the secret cannot be recovered from it (unless the
secret is short enough to guess: use a random string, e.g. `openssl rand -hex
16`; a secret under 16 characters draws a warning).  A hidden trace's header
holds its name and statistics only: no command, seed or secret.  The same
secret always gives the same set.  Public traces keep their provenance line
(pattern, seed, ops), which regenerates them.

Each pattern is a function (Gen) -> None that issues requests until
gen.room() says the op budget is spent; gen.finish() then frees what is still
live, so every trace ends with an empty heap and has at most N requests.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import math
import os
import random
import sys
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tracekit  # noqa: E402  (the kit's one Python trace module)


class Gen:
    """A request builder that keeps every trace valid by construction."""

    def __init__(self, seed: int, nops: int):
        self.rng = random.Random(seed)
        self.nops = nops
        self.ops: list[tuple[str, int, int]] = []
        self.size_of: dict[int, int] = {}      # live id -> size
        self.live_ids: list[int] = []          # the same ids, for O(1) random picks
        self.index_of: dict[int, int] = {}     # id -> position in live_ids
        self.next_id = 0

    # -- randomness from rng.random() only (stable across Python versions) --
    def uniform(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return lo + min(hi - lo, int(self.rng.random() * (hi - lo + 1)))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def log_uniform(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi] whose logarithm is uniform: as many 8-16 as 1K-2K."""
        return min(hi, max(lo, int(math.exp(math.log(lo) + self.rng.random() * (math.log(hi + 1) - math.log(lo))))))

    def pareto(self, alpha: float, scale: float, cap: int) -> int:
        """A power-law integer >= scale: P(X > x) = (scale / x) ** alpha, capped."""
        u = 1.0 - self.rng.random()            # in (0, 1]
        return min(cap, int(scale / u ** (1.0 / alpha)))

    def pick(self, seq):
        return seq[self.uniform(0, len(seq) - 1)]

    def shuffle(self, items: list) -> list:
        for i in range(len(items) - 1, 0, -1):
            j = self.uniform(0, i)
            items[i], items[j] = items[j], items[i]
        return items

    # -- requests --
    def room(self) -> int:
        """Requests still available once every live block gets its final free."""
        return self.nops - len(self.ops) - len(self.live_ids)

    def alloc(self, size: int) -> int:
        ident = self.next_id
        self.next_id += 1
        self.ops.append(("a", ident, size))
        self.size_of[ident] = size
        self.index_of[ident] = len(self.live_ids)
        self.live_ids.append(ident)
        return ident

    def free(self, ident: int) -> None:
        self.ops.append(("f", ident, 0))
        del self.size_of[ident]
        pos = self.index_of.pop(ident)
        last = self.live_ids.pop()
        if last != ident:
            self.live_ids[pos] = last
            self.index_of[last] = pos

    def realloc(self, ident: int, size: int) -> None:
        self.ops.append(("r", ident, size))
        self.size_of[ident] = size

    def random_live(self) -> int:
        return self.pick(self.live_ids)

    def live_bytes(self) -> int:
        return sum(self.size_of.values())

    def finish(self) -> list[tuple[str, int, int]]:
        for ident in self.shuffle(sorted(self.live_ids)):
            self.free(ident)
        return self.ops


# ---- the patterns -----------------------------------------------------------------

def p_random(g: Gen) -> None:
    """Random mix of malloc/free/realloc, log-uniform sizes 1 B-4 KB; the live set drifts up and down."""
    target = g.uniform(200, 2000)
    while g.room() >= 2:
        if g.chance(0.002):
            target = g.uniform(50, 3000)
        n = len(g.live_ids)
        p_alloc = 0.8 if n < target else 0.35
        if n == 0 or g.chance(p_alloc):
            g.alloc(g.log_uniform(1, 4096) if not g.chance(0.01) else g.uniform(8192, 65536))
        elif g.chance(0.15):
            g.realloc(g.random_live(), g.log_uniform(1, 4096))
        else:
            g.free(g.random_live())


def p_coalesce(g: Gen) -> None:
    """Runs of adjacent blocks freed in scattered order, then requests that fit only if neighbours merged."""
    pins: list[int] = []
    while g.room() >= 2:
        k = g.uniform(20, 200)
        unit = g.uniform(1, 16) * 16
        run = [g.alloc(unit + g.uniform(0, 15)) for _ in range(min(k, max(0, g.room() // 2 - 1)))]
        if g.room() >= 3 and g.chance(0.7):
            pins.append(g.alloc(g.uniform(8, 64)))   # keeps the run from being the heap's top
        # free evens, then odds: each free lands next to free neighbours
        for ident in run[0::2] + g.shuffle(run[1::2]):
            g.free(ident)
        # larger requests that only fit in merged space
        for _ in range(max(1, len(run) // 4)):
            if g.room() < 2:
                break
            big = g.alloc(unit * g.uniform(2, 6))
            if g.chance(0.8):
                g.free(big)
        if len(pins) > 30:
            g.free(pins.pop(g.uniform(0, len(pins) - 1)))


def p_binary(g: Gen) -> None:
    """Alternating small/large pairs, all large freed, then slightly larger requests (CS:APP binary-bal)."""
    pairs = [(16, 112), (64, 448), (24, 488), (8, 120), (32, 224)]
    while g.room() >= 4:
        small, large = g.pick(pairs)
        n = g.uniform(100, 600)
        smalls, larges = [], []
        for _ in range(n):
            if g.room() < 4:
                break
            smalls.append(g.alloc(small))
            larges.append(g.alloc(large))
        for ident in larges:
            g.free(ident)
        grown = large + g.uniform(1, 8) * 16      # never fits a freed large hole
        bigs = []
        for _ in range(len(larges)):
            if g.room() < 2:
                break
            bigs.append(g.alloc(grown))
        for ident in g.shuffle(smalls + bigs):
            g.free(ident)


def p_realloc(g: Gen) -> None:
    """Buffers grown by realloc (x1.5 and small steps) while small allocations land right after them."""
    buffers: list[int] = []
    smalls: list[int] = []
    while g.room() >= 2:
        if len(buffers) < 8 and (not buffers or g.chance(0.05)):
            buffers.append(g.alloc(g.uniform(16, 256)))
            continue
        b = g.pick(buffers)
        size = g.size_of[b]
        if size > 256 * 1024:
            g.free(b)
            buffers.remove(b)
            continue
        grow = size * 3 // 2 if g.chance(0.5) else size + g.uniform(1, 64)
        g.realloc(b, grow)
        if g.chance(0.4) and g.room() >= 2:
            smalls.append(g.alloc(g.uniform(8, 128)))
        if smalls and g.chance(0.35):
            g.free(smalls.pop(g.uniform(0, len(smalls) - 1)))


def p_powerlaw(g: Gen) -> None:
    """Power-law sizes (most tiny, a few huge) and power-law lifetimes, like real programs."""
    import heapq
    deaths: list[tuple[int, int]] = []       # (op count at which to free, id)
    while g.room() >= 2:
        now = len(g.ops)
        if deaths and deaths[0][0] <= now:
            _, ident = heapq.heappop(deaths)
            g.free(ident)
            continue
        size = g.pareto(1.1, 8, 512 * 1024)
        ident = g.alloc(size)
        life = g.pareto(0.6, 4, 10 * g.nops)
        heapq.heappush(deaths, (now + life, ident))


def p_tiny(g: Gen) -> None:
    """Many tiny objects (1-48 bytes) with a large live set: per-block overhead decides utilization."""
    sizes = [1, 4, 8, 8, 12, 16, 16, 16, 24, 24, 32, 40, 48]
    target = g.uniform(g.nops // 8, g.nops // 4)
    while g.room() >= 2:
        if len(g.live_ids) < target and g.chance(0.75) or not g.live_ids:
            g.alloc(g.pick(sizes))
        else:
            g.free(g.random_live())


def p_large(g: Gen) -> None:
    """Large blocks (16 KB-1 MB) with a few small ones between them; at most ~24 MB live."""
    while g.room() >= 2:
        if g.live_ids and (g.live_bytes() > 24 << 20 or g.chance(0.45)):
            g.free(g.random_live())
        elif g.chance(0.2):
            g.alloc(g.uniform(1, 512))
        else:
            g.alloc(g.log_uniform(16 << 10, 1 << 20))


def p_phase(g: Gen) -> None:
    """Phase change: many small blocks, most freed (a few stay, pinned), then many large ones."""
    small_budget = g.nops * 11 // 20
    while len(g.ops) + len(g.live_ids) < small_budget and g.room() >= 2:
        if g.chance(0.8) or not g.live_ids:
            g.alloc(g.uniform(8, 128))
        else:
            g.free(g.random_live())
    for ident in list(g.live_ids):
        if not g.chance(0.05):
            g.free(ident)
    while g.room() >= 2:
        if g.chance(0.6) or not g.live_ids:
            g.alloc(g.uniform(1024, 8192))
        else:
            g.free(g.random_live())


def p_fifo(g: Gen) -> None:
    """Producer/consumer queue: mixed sizes freed oldest-first, so holes open at the heap's start."""
    queue: list[int] = []
    head = 0
    depth = g.uniform(100, 1000)
    while g.room() >= 2:
        if len(queue) - head < depth or g.chance(0.3):
            queue.append(g.alloc(g.pick([24, 40, 72, 136, 264, 520, 1032]) + g.uniform(0, 7)))
        else:
            g.free(queue[head])
            head += 1
        if g.chance(0.001):
            depth = g.uniform(100, 1000)


PATTERNS: dict[str, Callable[[Gen], None]] = {
    "random": p_random,
    "coalesce": p_coalesce,
    "binary": p_binary,
    "realloc": p_realloc,
    "powerlaw": p_powerlaw,
    "tiny": p_tiny,
    "large": p_large,
    "phase": p_phase,
    "fifo": p_fifo,
}

# The public set: (pattern, ops, seed).  Hidden sets use the same patterns and
# op counts with the TA's seed.
PUBLIC = [
    ("random", 40000, 1),
    ("coalesce", 30000, 2),
    ("binary", 24000, 3),
    ("realloc", 20000, 4),
    ("powerlaw", 40000, 5),
    ("tiny", 60000, 6),
    ("large", 4000, 7),
    ("phase", 30000, 8),
    ("fifo", 30000, 9),
]


SECRET_ENV = "SLABLAB_HIDDEN_SECRET"
MIN_SECRET = 16


def hidden_name(pattern: str) -> str:
    return f"hidden-{pattern}"


def hidden_seed(secret: bytes, name: str) -> int:
    """The seed of hidden trace `name`: a keyed hash, one-way and independent
    per name (knowing one trace's seed says nothing about another's)."""
    mac = hmac.new(secret, b"slablab hidden trace " + name.encode("utf-8"), hashlib.sha256)
    return int.from_bytes(mac.digest()[:8], "big")


def write_hidden(directory: str, secret: bytes) -> list[tuple[str, tracekit.Stats]]:
    """The hidden set: every public pattern at the public op count, each from
    its own secret-derived seed; headers without provenance."""
    if not secret:
        raise ValueError("the hidden set needs a non-empty secret")
    os.makedirs(directory, exist_ok=True)
    made = []
    for pattern, nops, _ in PUBLIC:
        name = hidden_name(pattern)
        path = os.path.join(directory, name + ".rep")
        ops = generate(pattern, hidden_seed(secret, name), nops)
        made.append((path, tracekit.write_trace(path, ops, [f"{name}: a hidden trace"])))
    return made


def _secret(args) -> bytes:
    if args.secret_file:
        with open(args.secret_file, "rb") as f:
            secret = f.read().strip()
    elif args.seed is not None:
        secret = str(args.seed).encode()
    else:
        secret = os.environ.get(SECRET_ENV, "").encode()
    if not secret:
        raise ValueError(f"--hidden needs a secret: --secret-file FILE, ${SECRET_ENV}, or --seed S")
    if len(secret) < MIN_SECRET:
        print(f"gen.py: warning: a {len(secret)}-character secret can be guessed by trying them all "
              "against one leaked trace; use a long random one (openssl rand -hex 16)", file=sys.stderr)
    return secret


def describe(pattern: str) -> str:
    return (PATTERNS[pattern].__doc__ or "").strip()


def generate(pattern: str, seed: int, nops: int) -> list[tuple[str, int, int]]:
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern '{pattern}' (one of {', '.join(PATTERNS)})")
    if nops < 2:
        raise ValueError("--ops must be at least 2")
    g = Gen(seed, nops)
    PATTERNS[pattern](g)
    return g.finish()


def write(path: str | None, pattern: str, seed: int, nops: int, label: str) -> tracekit.Stats:
    ops = generate(pattern, seed, nops)
    desc = [f"{label}: {describe(pattern)}",
            f"generated by traces/gen.py --pattern {pattern} --seed {seed} --ops {nops}"]
    if path is None:
        tracekit.check_ops(ops)
        sys.stdout.write(tracekit.format_trace(ops, desc))
        return tracekit.stats(ops)
    return tracekit.write_trace(path, ops, desc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Deterministic synthetic allocator traces.")
    ap.add_argument("--pattern", choices=sorted(PATTERNS))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--ops", type=int, default=20000, help="requests in the trace (default 20000)")
    ap.add_argument("-o", "--output", help="trace file to write (default: stdout)")
    ap.add_argument("--list", action="store_true", help="list the patterns")
    ap.add_argument("--public", metavar="DIR", help="write the public set DIR/synth-*.rep")
    ap.add_argument("--hidden", metavar="DIR",
                    help=f"write a hidden set DIR/hidden-*.rep from a secret (--secret-file, ${SECRET_ENV} "
                         "or --seed)")
    ap.add_argument("--secret-file", metavar="FILE", help="the hidden set's secret (the file's bytes)")
    args = ap.parse_args(argv)
    try:
        if args.list:
            for name in PATTERNS:
                print(f"{name:10} {describe(name)}")
        elif args.public:
            os.makedirs(args.public, exist_ok=True)
            for pattern, nops, seed in PUBLIC:
                path = os.path.join(args.public, f"synth-{pattern}.rep")
                st = write(path, pattern, seed, nops, f"synth-{pattern}")
                print(f"{path}: {st.summary()}")
        elif args.hidden:
            for path, st in write_hidden(args.hidden, _secret(args)):
                print(f"{path}: {st.summary()}")
        else:
            if args.pattern is None or args.seed is None:
                ap.error("give --pattern and --seed (or --list, --public DIR, --hidden DIR)")
            st = write(args.output, args.pattern, args.seed, args.ops, f"{args.pattern} (seed {args.seed})")
            if args.output:
                print(f"{args.output}: {st.summary()}", file=sys.stderr)
    except (ValueError, OSError, tracekit.TraceError) as e:
        print(f"gen.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
