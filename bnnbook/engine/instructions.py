"""What the compiled binary convolution is made of: the bit-counting instructions in a
Numba function's machine code, and the registers they work on.

LLVM lowers :func:`bnnbook.engine.kernels.popcount` (its ``ctpop`` intrinsic) to the
best this CPU has; reading the machine code shows which: ``vpopcntq`` on ``zmm``
registers (AVX-512 VPOPCNTDQ), the nibble table's ``vpshufb`` and ``vpsadbw`` (AVX2,
Mula, Kurz and Lemire 2018), scalar ``popcnt``, or ``cnt`` on ARM NEON.
"""

from __future__ import annotations

import collections
import re

#: Instructions that count bits, or build a count: x86 scalar and vector popcounts, the
#: nibble table's shuffle and byte sums, ternary logic (Harley-Seal), ARM's ``cnt``.
COUNTING = (
    "popcnt", "popcntq", "popcntl", "vpopcntq", "vpopcntd", "vpopcntb", "vpopcntw",
    "vpshufb", "vpsadbw", "vpternlogd", "vpternlogq", "cnt",
)


def instructions(dispatcher) -> dict[str, dict]:
    """Each counting instruction in the machine code of ``dispatcher`` (a Numba
    function, for every signature it was called with): how many times it occurs and
    on which registers (``xmm``/``ymm``/``zmm`` on x86, ``v`` on ARM, ``r64`` for
    scalar). Numba cannot show the code of a function loaded from its cache, so an
    uncached twin is compiled with the same options (seconds)."""
    import numba

    dropped = ("cache", "nopython")  # no cache; njit implies nopython
    options = {k: v for k, v in dispatcher.targetoptions.items() if k not in dropped}
    twin = numba.njit(**options)(dispatcher.py_func)
    for signature in dispatcher.signatures:
        twin.compile(signature)
    found: dict[str, dict] = {}
    for listing in twin.inspect_asm().values():
        for line in listing.splitlines():
            words = line.split(None, 1)
            if not words or words[0] not in COUNTING:
                continue
            entry = found.setdefault(words[0], {"count": 0, "registers": set()})
            entry["count"] += 1
            operands = words[1] if len(words) > 1 else ""
            registers = set(re.findall(r"%([xyz]mm)", operands))
            registers |= {"v"} if re.search(r"\bv\d+\.", operands) else set()
            entry["registers"] |= registers or {"r64"}
    return {k: {"count": v["count"], "registers": sorted(v["registers"])}
            for k, v in sorted(found.items())}


def summary(found: dict[str, dict]) -> str:
    """:func:`instructions` as one line per instruction, most frequent first."""
    ranked = collections.Counter({k: v["count"] for k, v in found.items()})
    return "\n".join(
        f"{name:>10}: {count:3d} times, on {', '.join(found[name]['registers'])}"
        for name, count in ranked.most_common()
    ) or "no bit-counting instruction found"
