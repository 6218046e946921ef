"""What CPU this is: its model, its instruction-set flags and its reported clock.

Linux describes each logical CPU in ``/proc/cpuinfo`` as ``key : value`` lines; the
first CPU's block is read once here (:func:`cpuinfo`), and every question about the
machine is answered from it. Every chapter that times something prints
:func:`cpu_model` and :func:`features` beside its figures: speed verdicts between
float, int8 and binary engines depend on the instruction sets named there.
"""

from __future__ import annotations

import platform
from pathlib import Path

import psutil

#: Where Linux describes the CPUs.
CPUINFO = Path("/proc/cpuinfo")

#: The instruction sets that decide this book's speed verdicts, each with the
#: /proc/cpuinfo flags that provide it: AVX-512 (float32 at 16 lanes, LCE near float),
#: VNNI (int8 dot products: int8 faster than float), VPOPCNTDQ (one-instruction
#: popcount); on ARM, NEON and its dot product.
X86_FEATURES = {
    "AVX2": ("avx2",), "FMA": ("fma",), "AVX-512": ("avx512f",),
    "VNNI": ("avx512_vnni", "avx_vnni"), "VPOPCNTDQ": ("avx512_vpopcntdq",),
}
ARM_FEATURES = {"NEON": ("asimd",), "NEON dot product": ("asimddp",)}


def cpuinfo(path: Path = CPUINFO) -> dict[str, str]:
    """The first CPU's ``key: value`` lines of ``path``; empty where unreadable (not
    Linux)."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if found:
                break  # the first CPU's block ends at the first blank line
            continue
        key, _, value = line.partition(":")
        found.setdefault(key.strip(), value.strip())
    return found


def cpu_flags(path: Path = CPUINFO) -> frozenset[str]:
    """The first CPU's instruction-set flags (Linux ``flags`` on x86, ``Features`` on
    ARM), e.g. ``avx2``, ``avx512_vpopcntdq``, ``asimd``, ``asimddp``, plus its vendor
    (``GenuineIntel``, ``AuthenticAMD``); empty where unreadable."""
    info = cpuinfo(path)
    flags = set((info.get("flags") or info.get("Features") or "").split())
    return frozenset(flags | ({info["vendor_id"]} if "vendor_id" in info else set()))


def clock_hz(path: Path = CPUINFO) -> float | None:
    """The first CPU's clock as Linux reports it (``cpu MHz``), in Hz; ``None`` where
    not reported. In a virtual machine this is the nominal clock: a core that turbos
    higher does more cycles, so MACs per cycle computed with it are upper bounds."""
    mhz = cpuinfo(path).get("cpu MHz")
    return float(mhz) * 1e6 if mhz else None


def cpu_model(path: Path = CPUINFO) -> str:
    """The CPU's model name and logical core count, e.g. ``"AMD EPYC, 2 logical
    cores"``."""
    name = cpuinfo(path).get("model name") or platform.processor() or platform.machine()
    return f"{name}, {psutil.cpu_count(logical=True)} logical cores"


def features(flags: frozenset[str]) -> str:
    """The deciding instruction sets a core with ``flags`` has and lacks, in one line,
    e.g. ``"has AVX2, FMA; lacks AVX-512, VNNI, VPOPCNTDQ"``."""
    table = ARM_FEATURES if "asimd" in flags else X86_FEATURES
    has = [name for name, provided_by in table.items() if flags & set(provided_by)]
    lacks = [name for name in table if name not in has]
    parts = ["has " + ", ".join(has)] if has else []
    return "; ".join(parts + (["lacks " + ", ".join(lacks)] if lacks else []))


def has_512_bit_vectors(flags: frozenset[str]) -> bool:
    """Whether a core with ``flags`` has AVX-512, where compilers may choose 512-bit
    vectors."""
    return "avx512f" in flags
