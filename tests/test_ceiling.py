"""The peak estimate: flags read from /proc/cpuinfo, and the arithmetic per CPU kind."""

from __future__ import annotations

import pytest

from bnnbook import ceiling

ZEN3 = frozenset({"AuthenticAMD", "avx", "avx2", "fma", "popcnt"})
ICELAKE = frozenset(
    {
        "GenuineIntel",
        "avx2",
        "fma",
        "avx512f",
        "avx512_vpopcntdq",
        "avx512_vnni",
        "popcnt",
    }
)


def test_flags_and_vendor_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
        "flags\t\t: fpu sse avx2 fma popcnt\n\nprocessor\t: 1\n"
        "vendor_id\t: AuthenticAMD\nflags\t\t: fpu\n"
    )
    assert ceiling.cpu_flags(cpuinfo) == {
        "AuthenticAMD",
        "fpu",
        "sse",
        "avx2",
        "fma",
        "popcnt",
    }
    assert ceiling.cpu_flags(tmp_path / "missing") == frozenset()


def test_avx2_fma_core():
    peak = ceiling.estimate(ZEN3)
    assert peak.float_macs == 16 and peak.binary_macs == 96 and peak.ratio == 6
    assert peak.int8_macs == pytest.approx(64 / 3)
    assert peak.lce_ratio == pytest.approx(32 * 4 / 3 / 16)  # 4 ALUs, 3 ops per word
    assert peak.method == "AVX2 nibble-table popcount"


def test_avx512_core_with_vector_popcount():
    peak = ceiling.estimate(ICELAKE)
    assert peak.float_macs == 32 and peak.int8_macs == 128
    assert peak.binary_macs == pytest.approx(512 * 2 / 3)
    assert peak.lce_ratio == 1.0  # one popcnt port on Intel: 32 bits per cycle


def test_unknown_cpu_falls_back_to_scalar_popcount():
    peak = ceiling.estimate(frozenset())
    assert peak.method == "scalar popcnt" and peak.float_macs == 4
    assert peak.binary_macs == 64


@pytest.mark.parametrize("flags", [ZEN3, ICELAKE, frozenset(), ceiling.cpu_flags()])
def test_the_arithmetic_fits_a_printed_line(flags):
    steps = ceiling.estimate(flags).steps
    assert len(steps) >= 5 and all(len(line) <= 88 for line in steps), steps
