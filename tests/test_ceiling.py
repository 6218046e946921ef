"""The peak estimate: flags read from /proc/cpuinfo, and the arithmetic per CPU kind."""

from __future__ import annotations

import pytest

from bnnbook import ceiling

ZEN3 = frozenset({"AuthenticAMD", "avx", "avx2", "fma", "popcnt"})
CASCADE_LAKE = frozenset(
    {"GenuineIntel", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "popcnt"}
)
ICELAKE = CASCADE_LAKE | {"avx512_vpopcntdq"}
CORTEX_A76 = frozenset({"fp", "asimd", "asimddp"})


def test_flags_and_vendor_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu MHz\t\t: 2300.000\n"
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
    assert ceiling.clock_hz(cpuinfo) == 2.3e9
    assert ceiling.cpu_flags(tmp_path / "missing") == frozenset()
    assert ceiling.clock_hz(tmp_path / "missing") is None


def test_arm_features_are_read_too(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nFeatures\t: fp asimd asimddp\n")
    assert ceiling.cpu_flags(cpuinfo) == CORTEX_A76
    assert ceiling.clock_hz(cpuinfo) is None


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
    "flags", [ZEN3, CASCADE_LAKE, ICELAKE, CORTEX_A76, frozenset(), ceiling.cpu_flags()]
)
def test_the_arithmetic_fits_a_printed_line(flags):
    steps = ceiling.estimate(flags).steps
    assert len(steps) >= 5 and all(len(line) <= 88 for line in steps), steps


def test_features_name_what_decides_the_verdicts():
    zen2 = frozenset({"avx2", "fma", "popcnt", "AuthenticAMD"})
    assert ceiling.features(zen2) == "has AVX2, FMA; lacks AVX-512, VNNI, VPOPCNTDQ"
    ice = zen2 | {"avx512f", "avx512bw", "avx512_vnni", "avx512_vpopcntdq"}
    assert ceiling.features(ice) == "has AVX2, FMA, AVX-512, VNNI, VPOPCNTDQ"
    alder = zen2 | {"avx_vnni"}
    assert ceiling.features(alder) == "has AVX2, FMA, VNNI; lacks AVX-512, VPOPCNTDQ"
    assert ceiling.features(frozenset({"asimd"})) == "has NEON; lacks NEON dot product"
    assert ceiling.features(frozenset()) == (
        "lacks AVX2, FMA, AVX-512, VNNI, VPOPCNTDQ")
