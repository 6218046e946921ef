"""How much faster binary arithmetic could be than float32 on this CPU: a peak estimate.

A float32 multiply-accumulate (MAC) costs one lane of a fused multiply-add (FMA); a
binary MAC costs one bit of an XNOR (here XOR) plus its share of a population count.
Per core and cycle, the peaks follow from the vector width, the number of FMA units and
whether the CPU counts bits in vector registers (AVX-512 VPOPCNTDQ) or only in scalar
ones (``popcnt``, 64 bits at a time). These are the textbook upper bounds of a tuned
kernel, under the assumptions that :func:`estimate` prints, not measurements: the
chapter puts measured ratios beside them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

#: Assumptions, per core: FMA units a float kernel can keep busy, vector ALUs that run
#: the bit operations of an AVX2 popcount, scalar ALUs, and how many of those run popcnt
#: (one port on Intel cores, every ALU on AMD Zen: Agner Fog's instruction tables).
FMA_UNITS = 2
VECTOR_ALUS = 3
SCALAR_ALUS = 4
POPCNT_UNITS = {"GenuineIntel": 1, "AuthenticAMD": 4}
#: LCE packs bits into 32-bit integers; its x86 kernels count them with scalar popcnt.
LCE_WORD_BITS = 32


@dataclasses.dataclass(frozen=True)
class Ceiling:
    """Peak MACs per core per cycle.

    Attributes:
        flags: the instruction-set flags the estimate used.
        float_macs: float32 MACs per cycle (FMA lanes x FMA units).
        int8_macs: int8 MACs per cycle (VNNI dot products where the CPU has them).
        binary_macs: binary MACs per cycle of the best bit-counting method available.
        method: that method's name.
        steps: the arithmetic, one line each (at most 88 characters).
        lce_ratio: the same ceiling for LCE's portable x86 kernels (32-bit words,
            scalar popcnt) over float32.
    """

    flags: frozenset[str]
    float_macs: float
    int8_macs: float
    binary_macs: float
    method: str
    steps: tuple[str, ...]
    lce_ratio: float

    @property
    def ratio(self) -> float:
        """The ceiling of binary over float speed (binary MACs / float MACs)."""
        return self.binary_macs / self.float_macs


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first CPU's instruction-set flags in ``cpuinfo`` (Linux), e.g. ``avx2``,
    ``fma``, ``avx512f``, ``avx512_vpopcntdq``, plus its vendor (``GenuineIntel``,
    ``AuthenticAMD``); empty where unreadable."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    found: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "vendor_id":
            found.add(value.strip())
        elif key.strip() == "flags":
            return frozenset(found | set(value.split()))
    return frozenset(found)


def estimate(flags: frozenset[str]) -> Ceiling:
    """Peak float32 and binary MACs per cycle for a core with ``flags``."""
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags or "avx" in flags else 4
    fma = FMA_UNITS if "fma" in flags or "avx512f" in flags else 1
    float_macs = lanes * fma
    unit = "FMA units" if fma > 1 else "multiply + add (no FMA)"
    steps = [f"float32: {lanes} lanes x {fma} {unit} = {float_macs} MACs per cycle"]
    int8_macs, how = _int8(flags, lanes)
    steps.append(f"int8: {how} = {int8_macs:.0f} MACs per cycle")
    bits = lanes * 32
    if "avx512_vpopcntdq" in flags:
        # XOR, VPOPCNTQ and an add per 512-bit vector, on the FMA units' two ports.
        method, binary_macs = "AVX-512 VPOPCNTDQ", bits * FMA_UNITS / 3
        steps.append(f"binary ({method}): xor + popcount + add per {bits}-bit vector,")
        steps.append(
            f"  3 ops on {FMA_UNITS} vector ports: {bits} x {FMA_UNITS} / 3 "
            f"= {binary_macs:.0f} MACs per cycle"
        )
    elif "avx2" in flags:
        # Nibble-table popcount (Mula): xor, 2 and, shift, 2 shuffles, 2 adds.
        method, binary_macs = "AVX2 nibble-table popcount", bits * VECTOR_ALUS / 8
        steps.append(f"binary ({method}): about 8 ops per {bits}-bit vector")
        steps.append(
            f"  on {VECTOR_ALUS} vector ALUs: {bits} x {VECTOR_ALUS} / 8 "
            f"= {binary_macs:.0f} MACs per cycle"
        )
    else:
        method, binary_macs = "scalar popcnt", 64 * _words_per_cycle(flags)
        steps.append(
            f"binary ({method}): 64 bits per word x "
            f"{_words_per_cycle(flags):.2f} words per cycle = {binary_macs:.0f} MACs"
        )
    steps.append(
        f"ceiling: {binary_macs:.0f} / {float_macs} = "
        f"{binary_macs / float_macs:.1f}x, not 32x: a float lane does a whole MAC"
    )
    steps.append("  per FMA, a bit needs its xor, popcount and add")
    words = LCE_WORD_BITS * _words_per_cycle(flags)
    steps.append(
        f"LCE on x86: {LCE_WORD_BITS}-bit words, scalar popcnt, "
        f"{_words_per_cycle(flags):.2f} words per cycle"
    )
    steps.append(
        f"  = {words:.0f} MACs per cycle; over float32: {words:.0f} / "
        f"{float_macs} = {words / float_macs:.1f}x"
    )
    return Ceiling(
        frozenset(flags),
        float(float_macs),
        int8_macs,
        float(binary_macs),
        method,
        tuple(steps),
        words / float_macs,
    )


def _int8(flags: frozenset[str], lanes: int) -> tuple[float, str]:
    """int8 MACs per cycle, and how: a VNNI dot product does 4 MACs per 32-bit lane in
    one op; without VNNI, 4 MACs per lane take 3 ops (multiply-add to 16 bits, to 32
    bits, accumulate)."""
    if "avx512_vnni" in flags and lanes == 16:
        return 16 * 4 * FMA_UNITS, f"VNNI, 16 lanes x 4 x {FMA_UNITS} units"
    if "avx_vnni" in flags or "avx512_vnni" in flags:
        return 8 * 4 * FMA_UNITS, f"AVX-VNNI, 8 lanes x 4 x {FMA_UNITS} units"
    return lanes * 4 * FMA_UNITS / 3, f"{lanes} lanes x 4 x {FMA_UNITS} units / 3 ops"


def _words_per_cycle(flags: frozenset[str]) -> float:
    """Scalar words XOR-ed, counted and summed per cycle: 3 ops on SCALAR_ALUS ALUs,
    at most one popcnt per popcnt unit (1 where the vendor is unknown)."""
    units = max((POPCNT_UNITS.get(flag, 0) for flag in flags), default=0) or 1
    return min(float(units), SCALAR_ALUS / 3)
