"""The peak estimate: the arithmetic per CPU kind (flags as :mod:`bnnbook.machine`
reads them)."""

from __future__ import annotations

import pytest

from bnnbook import machine
from bnnbook.bench import ceiling

ZEN3 = frozenset({"AuthenticAMD", "avx", "avx2", "fma", "popcnt"})
CASCADE_LAKE = frozenset(
    {"GenuineIntel", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "popcnt"}
)
ICELAKE = CASCADE_LAKE | {"avx512_vpopcntdq"}
CORTEX_A76 = frozenset({"fp", "asimd", "asimddp"})


def test_avx2_fma_core():
    peak = ceiling.estimate(ZEN3)
    assert peak.float_macs == 16 and peak.binary_macs == 96 and peak.ratio == 6
    assert peak.int8_macs == pytest.approx(64 / 3)
    assert peak.lce_ratio == pytest.approx(32 * 4 / 3 / 16)  # 4 ALUs, 3 ops per word
    assert peak.method == "AVX2 nibble table (vpshufb)"


def test_avx512bw_without_vector_popcount_is_not_credited_as_avx2():
    peak = ceiling.estimate(CASCADE_LAKE)
    assert peak.method == "AVX-512BW nibble table (vpshufb)"
    assert peak.binary_macs == 512 * 2 / 8  # 8 instructions on the 2 512-bit ports
    assert peak.ratio == 4 and peak.binary_macs / peak.int8_macs == 1


def test_avx512_core_with_vector_popcount():
    peak = ceiling.estimate(ICELAKE)
    assert peak.float_macs == 32 and peak.int8_macs == 128
    assert peak.binary_macs == pytest.approx(512 * 2 / 3)
    assert peak.lce_ratio == 1.0  # one popcnt port on Intel: 32 bits per cycle


def test_arm_neon_counts_bytes_with_cnt():
    peak = ceiling.estimate(CORTEX_A76)
    assert peak.method.startswith("NEON") and peak.float_macs == 8
    assert peak.binary_macs == pytest.approx(128 * 2 / 3) and peak.int8_macs == 32
    assert peak.lce_ratio == peak.ratio


def test_unknown_cpu_falls_back_to_scalar_popcount():
    peak = ceiling.estimate(frozenset())
    assert peak.method == "scalar popcnt" and peak.float_macs == 4
    assert peak.binary_macs == 64


@pytest.mark.parametrize(
    "flags", [ZEN3, CASCADE_LAKE, ICELAKE, CORTEX_A76, frozenset(), machine.cpu_flags()]
)
def test_the_arithmetic_fits_a_printed_line(flags):
    steps = ceiling.estimate(flags).steps
    assert len(steps) >= 5 and all(len(line) <= 88 for line in steps), steps
