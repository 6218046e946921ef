"""The verdicts printed on a measured difference (:mod:`bnnbook.verdict`)."""

from __future__ import annotations

from bnnbook.verdict import Verdict


def test_each_verdict_prints_as_its_text():
    assert [str(v) for v in Verdict] == [
        "higher", "lower", "faster", "slower", "no measurable difference",
    ]
    assert f"{Verdict.NONE}" == "no measurable difference"
    assert Verdict("faster") is Verdict.FASTER
