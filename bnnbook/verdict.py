"""The verdicts the book prints on a measured difference: one small type for accuracy
(:mod:`bnnbook.noise`) and speed (:mod:`bnnbook.bench.rounds`) alike."""

from __future__ import annotations

import enum


class Verdict(enum.StrEnum):
    """What a difference measured against its noise says. Each prints as its text."""

    #: Accuracy: the first model is better (lower: worse) beyond the noise.
    HIGHER = "higher"
    LOWER = "lower"
    #: Speed: the first engine takes less (more) time, in enough rounds.
    FASTER = "faster"
    SLOWER = "slower"
    #: Within the noise: the measurement cannot tell the two apart.
    NONE = "no measurable difference"
