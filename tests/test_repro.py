"""What each chapter prints first (:func:`bnnbook.repro.report`): the seed, the
versions in use and the CPU they ran on."""

from __future__ import annotations

import platform

from bnnbook import machine, repro


def test_report_prints_seed_versions_and_cpu_one_per_line(monkeypatch):
    found = {"python": "3.11.9", "numpy": "1.26"}
    monkeypatch.setattr(repro, "versions", lambda: found)
    monkeypatch.setattr(machine, "cpu_model", lambda: "AMD EPYC, 2 logical cores")
    monkeypatch.setattr(machine, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert repro.report(7).splitlines() == [
        "                seed: 7",
        "              python: 3.11.9",
        "               numpy: 1.26",
        "                 cpu: AMD EPYC, 2 logical cores",
        "        cpu features: has AVX2, FMA; lacks AVX-512, VNNI, VPOPCNTDQ",
    ]


def test_report_names_this_machine_and_every_package():
    lines = repro.report(repro.SEED).splitlines()
    names = [line.split(":", 1)[0].strip() for line in lines]
    assert names == ["seed", "python", *repro.PACKAGES, "cpu", "cpu features"]
    assert lines[0].endswith(f": {repro.SEED}")
    assert lines[1].endswith(f": {platform.python_version()}")
    assert lines[-2].endswith(f": {machine.cpu_model()}")
    assert lines[-1].endswith(f": {machine.features(machine.cpu_flags())}")
