"""What the compiled binary convolution is made of, and how fast it runs alone.

- :func:`instructions`: the bit-counting instructions in a Numba function's machine
  code (``inspect_asm``) and the registers they work on.
- :func:`rate`: the kernel's speed on one thread in this process.
- :func:`fresh_rate`: the same in a new Python, optionally with LLVM told to prefer
  512-bit vectors (``NUMBA_CPU_FEATURES`` is read once, when Numba starts, so each
  choice needs its own process).
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

#: Instructions that count bits, or build a count: x86 scalar and vector popcounts, the
#: nibble table's shuffle and byte sums, ternary logic (Harley-Seal), ARM's ``cnt``.
COUNTING = (
    "popcnt", "popcntq", "popcntl", "vpopcntq", "vpopcntd", "vpopcntb", "vpopcntw",
    "vpshufb", "vpsadbw", "vpternlogd", "vpternlogq", "cnt",
)
#: LLVM's target feature that keeps vector code at 256 bits on Intel server cores.
PREFER_256 = "prefer-256-bit"


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


def rate(channels: int, size: int = 12, repeats: int = 50, inspect: bool = False) -> dict:
    """Time :func:`bnnbook.xnor.binary_conv` on one thread: a ``size`` x ``size`` map
    of ``channels`` channels, ``channels`` outputs, 3x3 (3 warm-up calls).

    Returns ``seconds`` (median per call), ``macs_per_second`` and, with ``inspect``,
    the kernel's :func:`instructions` (else ``None``).
    """
    import numba

    from bnnbook import xnor

    numba.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = xnor.pack_signs(rng.standard_normal((1, size, size, channels), np.float32))
    weights = rng.integers(0, 2**63, (9 * -(-channels // 64), channels), np.uint64)
    for _ in range(3):
        xnor.binary_conv(x, weights, 3, 3, 9 * channels)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        xnor.binary_conv(x, weights, 3, 3, 9 * channels)
        times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    macs = (size - 2) ** 2 * 9 * channels * channels
    return {"seconds": seconds, "macs_per_second": macs / seconds,
            "instructions": instructions(xnor.binary_conv) if inspect else None}


def fresh_rate(
    channels: int, wide: bool, size: int = 12, repeats: int = 50, inspect: bool = False
) -> dict:
    """:func:`rate` in a new Python; with ``wide``, LLVM may use 512-bit vectors
    (the host's features, minus :data:`PREFER_256`)."""
    env = dict(os.environ)
    if wide:
        import llvmlite.binding as llvm

        features = llvm.get_host_cpu_features().flatten()
        env["NUMBA_CPU_FEATURES"] = f"{features},-{PREFER_256}"
    work = json.dumps([channels, size, repeats, inspect])
    result = subprocess.run(
        [sys.executable, "-m", "bnnbook.kernelrate", work],
        capture_output=True, text=True, env=env, timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the kernel benchmark failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def has_512_bit_vectors() -> bool:
    """Whether this CPU has AVX-512 (Linux flags), where the 512-bit choice exists."""
    from bnnbook.ceiling import cpu_flags

    return "avx512f" in cpu_flags()


def summary(found: dict[str, dict]) -> str:
    """:func:`instructions` as one line per instruction, most frequent first."""
    ranked = collections.Counter({k: v["count"] for k, v in found.items()})
    return "\n".join(
        f"{name:>10}: {count:3d} times, on {', '.join(found[name]['registers'])}"
        for name, count in ranked.most_common()
    ) or "no bit-counting instruction found"


if __name__ == "__main__":  # the worker of fresh_rate: one measurement, as JSON
    print(json.dumps(rate(*json.loads(sys.argv[1]))))
