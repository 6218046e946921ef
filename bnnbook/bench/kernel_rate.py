"""How fast the compiled binary convolution runs alone, on one thread.

- :func:`rate`: the kernel's speed in this process.
- :func:`fresh_rate`: the same in a new Python, optionally with LLVM told to prefer
  512-bit vectors (``NUMBA_CPU_FEATURES`` is read once, when Numba starts, so each
  choice needs its own process).
"""

from __future__ import annotations

import numpy as np

from bnnbook.bench import fresh, timing
from bnnbook.bench.conv_sweep import macs

#: LLVM's target feature that keeps vector code at 256 bits on Intel server cores.
PREFER_256 = "prefer-256-bit"


def rate(
    channels: int, size: int = 12, repeats: int = 50, inspect: bool = False
) -> dict:
    """Time :func:`bnnbook.engine.kernels.binary_conv` on one thread: a ``size`` x
    ``size`` map of ``channels`` channels, ``channels`` outputs, 3x3 (3 warm-up calls).

    Returns ``seconds`` (median per call), ``macs_per_second`` and, with ``inspect``,
    the kernel's :func:`bnnbook.engine.instructions.instructions` (else ``None``).
    """
    import numba

    from bnnbook.engine import instructions, kernels

    numba.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = kernels.pack_signs(rng.standard_normal((1, size, size, channels), np.float32))
    weights = rng.integers(0, 2**63, (9 * -(-channels // 64), channels), np.uint64)
    seconds = timing.time_calls(
        lambda: kernels.binary_conv(x, weights, 3, 3, 9 * channels), 3, repeats
    ).median
    found = instructions.instructions(kernels.binary_conv) if inspect else None
    return {"seconds": seconds, "macs_per_second": macs(channels, size) / seconds,
            "instructions": found}


def fresh_rate(
    channels: int, wide: bool, size: int = 12, repeats: int = 50, inspect: bool = False
) -> dict:
    """:func:`rate` in a new Python; with ``wide``, LLVM may use 512-bit vectors
    (the host's features, minus :data:`PREFER_256`)."""
    env = {}
    if wide:
        import llvmlite.binding as llvm

        features = llvm.get_host_cpu_features().flatten()
        env["NUMBA_CPU_FEATURES"] = f"{features},-{PREFER_256}"
    return fresh.call(f"{__name__}:rate", channels, size, repeats, inspect, env=env,
                      timeout=600)
