"""How many MACs per cycle a core could do in float32, int8 and binary: peak estimates.

A float32 multiply-accumulate (MAC) is one lane of a fused multiply-add (FMA); an int8
MAC a quarter of a 32-bit lane of a dot-product instruction (VNNI on x86, ``sdot`` on
ARM); a binary MAC one bit of an XOR plus its share of a population count and of an
add. Per cycle, each follows from the register width, the number of ports that run
the instructions, and how the CPU counts bits. The binary paths distinguished here:

- AVX-512 VPOPCNTDQ (Ice Lake and later): ``vpxorq``, ``vpopcntq``, ``vpaddq`` per
  512-bit register, on the 2 ports that run 512-bit instructions (0 and 5);
- AVX-512BW without it (Skylake-X, Cascade Lake): a nibble table, ``vpshufb`` twice
  per register plus a shift, two ANDs, the XOR and two adds (``vpsadbw`` amortised over
  many words, as in Mula, Kurz and Lemire's AVX2 popcount), 8 instructions on 2 ports;
- AVX2: the same 8 instructions per 256-bit register, on 3 vector ports (0, 1, 5);
- scalar ``popcnt``: XOR, count, add per 64-bit word, ``popcnt`` on one port on Intel
  cores and on all 4 ALUs on AMD Zen;
- ARM NEON: ``eor``, ``cnt`` (bits per byte) and ``uadalp`` (accumulate) per 128-bit
  register, on 2 vector pipes (Cortex-A76 class).

Port counts are from Agner Fog's instruction tables, uops.info and Arm's software
optimisation guides (see the book's bibliography). They are upper bounds for a tuned
kernel, not predictions: the chapters put measured MACs per cycle beside them.
"""

from __future__ import annotations

import dataclasses

#: FMA units per core (2 on the server and desktop cores here; some AVX-512 parts
#: have 1).
FMA_UNITS = 2
#: Scalar ALUs per core, and those that run ``popcnt`` (Agner Fog's tables).
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
        int8_macs: int8 MACs per cycle (dot-product instructions where present).
        binary_macs: binary MACs per cycle of the best bit-counting path available.
        method: that path's name.
        steps: the arithmetic, one line each (at most 88 characters).
        lce_ratio: LCE's x86 kernels' ceiling (32-bit words, scalar popcnt) over
            float32; on ARM, LCE's NEON kernels reach the NEON ceiling.
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


def estimate(flags: frozenset[str]) -> Ceiling:
    """Peak float32, int8 and binary MACs per cycle for a core with ``flags``."""
    if "asimd" in flags:  # ARM: 128-bit NEON on 2 pipes
        lanes, fma = 4, FMA_UNITS
        float_macs = lanes * fma
        int8_macs = 16 * FMA_UNITS if "asimddp" in flags else 8 * FMA_UNITS / 2
        int8_how = "sdot, 16 x 2 pipes" if "asimddp" in flags else "smlal, 8 x 2 / 2"
    else:
        lanes = 16 if "avx512f" in flags else 8 if {"avx2", "avx"} & flags else 4
        fma = FMA_UNITS if "fma" in flags or "avx512f" in flags else 1
        float_macs = lanes * fma
        int8_macs, int8_how = _int8(flags, lanes)
    steps = [f"float32: {lanes} lanes x {fma} FMA units = {float_macs} MACs per cycle"]
    steps.append(f"int8: {int8_how} = {int8_macs:.0f} MACs per cycle")
    method, bits, ops, ports = _binary_path(flags)
    binary_macs = bits * ports / ops
    steps.append(f"binary ({method}):")
    if bits == 64:
        steps.append(
            f"  xor + popcnt + add per 64-bit word, {ports:.2f} words per cycle = "
            f"{binary_macs:.0f} MACs per cycle"
        )
    else:
        steps.append(
            f"  {ops:g} instructions per {bits}-bit register on {ports:g} ports: "
            f"{bits} x {ports:g} / {ops:g} = {binary_macs:.0f} MACs per cycle"
        )
    steps.append(
        f"ceiling: {binary_macs / float_macs:.1f}x float32, "
        f"{binary_macs / int8_macs:.1f}x int8, not 32x: a float lane does a whole MAC"
    )
    if "asimd" in flags:
        lce_ratio = binary_macs / float_macs
        steps.append("LCE on ARM: NEON kernels with cnt, the same ceiling")
    else:
        words = LCE_WORD_BITS * _words_per_cycle(flags)
        lce_ratio = words / float_macs
        steps.append(
            f"LCE on x86: {LCE_WORD_BITS}-bit words, scalar popcnt, "
            f"{_words_per_cycle(flags):.2f} words per cycle = {words:.0f} MACs, "
            f"{lce_ratio:.1f}x float32"
        )
    return Ceiling(
        frozenset(flags),
        float(float_macs),
        float(int8_macs),
        float(binary_macs),
        method,
        tuple(steps),
        lce_ratio,
    )


def _binary_path(flags: frozenset[str]) -> tuple[str, int, float, float]:
    """(name, register bits, instructions per register, ports) of the fastest
    bit-counting path of a core with ``flags`` (see the module's docstring)."""
    if "asimd" in flags:
        return "NEON eor + cnt + uadalp", 128, 3, 2
    if "avx512_vpopcntdq" in flags:
        return "AVX-512 VPOPCNTDQ", 512, 3, 2
    if "avx512bw" in flags:
        return "AVX-512BW nibble table (vpshufb)", 512, 8, 2
    if "avx2" in flags:
        return "AVX2 nibble table (vpshufb)", 256, 8, 3
    return "scalar popcnt", 64, 1, _words_per_cycle(flags)


def _int8(flags: frozenset[str], lanes: int) -> tuple[float, str]:
    """int8 MACs per cycle, and how: a VNNI dot product does 4 MACs per 32-bit lane in
    one instruction; without VNNI, 4 MACs per lane take 3 (multiply-add to 16 bits, to
    32 bits, accumulate)."""
    if "avx512_vnni" in flags and lanes == 16:
        return 16 * 4 * FMA_UNITS, f"VNNI, 16 lanes x 4 x {FMA_UNITS} ports"
    if "avx_vnni" in flags or "avx512_vnni" in flags:
        return 8 * 4 * FMA_UNITS, f"AVX-VNNI, 8 lanes x 4 x {FMA_UNITS} ports"
    return lanes * 4 * FMA_UNITS / 3, f"{lanes} lanes x 4 x {FMA_UNITS} ports / 3"


def _words_per_cycle(flags: frozenset[str]) -> float:
    """Scalar words XOR-ed, counted and summed per cycle: 3 instructions on
    SCALAR_ALUS ALUs, at most one popcnt per popcnt unit (1 for an unknown vendor)."""
    units = max((POPCNT_UNITS.get(flag, 0) for flag in flags), default=0) or 1
    return min(float(units), SCALAR_ALUS / 3)
