"""What CPU this is, read from a /proc/cpuinfo (:mod:`bnnbook.machine`): its first
block, flags and vendor, clock, model and the instruction sets that decide verdicts."""

from __future__ import annotations

import psutil

from bnnbook import machine

CORTEX_A76 = frozenset({"fp", "asimd", "asimddp"})

#: Two CPUs as Linux describes them: every answer comes from the first block.
TWO_CPUS = (
    "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
    "cpu MHz\t\t: 2300.000\nflags\t\t: fpu sse avx2 fma popcnt\n\n"
    "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: other\n"
    "cpu MHz\t\t: 1000.000\nflags\t\t: fpu\n"
)


def test_cpuinfo_reads_the_first_cpus_block_only(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text("\n\n" + TWO_CPUS)  # blank lines before the first block too
    info = machine.cpuinfo(path)
    assert info["processor"] == "0" and info["vendor_id"] == "AuthenticAMD"
    assert info["model name"] == "AMD EPYC 7B13" and info["cpu MHz"] == "2300.000"
    assert machine.cpuinfo(tmp_path / "missing") == {}


def test_flags_and_vendor_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu MHz\t\t: 2300.000\n"
        "flags\t\t: fpu sse avx2 fma popcnt\n\nprocessor\t: 1\n"
        "vendor_id\t: AuthenticAMD\nflags\t\t: fpu\n"
    )
    assert machine.cpu_flags(cpuinfo) == {
        "AuthenticAMD",
        "fpu",
        "sse",
        "avx2",
        "fma",
        "popcnt",
    }
    assert machine.clock_hz(cpuinfo) == 2.3e9
    assert machine.cpu_flags(tmp_path / "missing") == frozenset()
    assert machine.clock_hz(tmp_path / "missing") is None


def test_arm_features_are_read_too(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nFeatures\t: fp asimd asimddp\n")
    assert machine.cpu_flags(cpuinfo) == CORTEX_A76
    assert machine.clock_hz(cpuinfo) is None


def test_cpu_model_names_the_first_cpu_and_the_logical_cores(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(TWO_CPUS)
    cores = psutil.cpu_count(logical=True)
    assert machine.cpu_model(path) == f"AMD EPYC 7B13, {cores} logical cores"
    without_a_name = machine.cpu_model(tmp_path / "missing")
    assert without_a_name.endswith(f", {cores} logical cores")
    assert not without_a_name.startswith(",")  # the platform's name stands in


def test_features_name_what_decides_the_verdicts():
    zen2 = frozenset({"avx2", "fma", "popcnt", "AuthenticAMD"})
    assert machine.features(zen2) == "has AVX2, FMA; lacks AVX-512, VNNI, VPOPCNTDQ"
    ice = zen2 | {"avx512f", "avx512bw", "avx512_vnni", "avx512_vpopcntdq"}
    assert machine.features(ice) == "has AVX2, FMA, AVX-512, VNNI, VPOPCNTDQ"
    alder = zen2 | {"avx_vnni"}
    assert machine.features(alder) == "has AVX2, FMA, VNNI; lacks AVX-512, VPOPCNTDQ"
    assert machine.features(frozenset({"asimd"})) == "has NEON; lacks NEON dot product"
    assert machine.features(frozenset()) == (
        "lacks AVX2, FMA, AVX-512, VNNI, VPOPCNTDQ")


def test_512_bit_vectors_come_with_avx512f_only():
    assert machine.has_512_bit_vectors(frozenset({"avx512f", "avx2"}))
    assert not machine.has_512_bit_vectors(frozenset({"avx2", "avx_vnni"}))
    assert not machine.has_512_bit_vectors(CORTEX_A76)


def test_every_flag_that_provides_a_feature_is_credited_alone():
    for name, flags in machine.X86_FEATURES.items():
        for flag in flags:  # VNNI: either avx512_vnni or avx_vnni
            assert machine.features(frozenset({flag})).startswith(f"has {name};")
    for name, flags in machine.ARM_FEATURES.items():  # every ARM core has asimd
        has = machine.features(frozenset({"asimd", *flags})).split(";")[0]
        assert name in has.removeprefix("has ").split(", ")
