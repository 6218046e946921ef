"""Benchmarking: how fast, how large and how heavy each engine is, measured honestly.

- :mod:`~bnnbook.bench.timing`: repeated calls, median and spread; memory peaks.
- :mod:`~bnnbook.bench.rounds`: interleaved rounds, spreads, ratios and verdicts.
- :mod:`~bnnbook.bench.measure`: one measurement of one engine;
  :mod:`~bnnbook.bench.forked` many, in forked workers, in rounds;
  :mod:`~bnnbook.bench.fresh` a function in a new Python.
- :mod:`~bnnbook.bench.ceiling`: peak MACs per cycle in float32, int8 and binary.
- :mod:`~bnnbook.bench.width_sweep`, :mod:`~bnnbook.bench.conv_sweep`,
  :mod:`~bnnbook.bench.kernel_rate`: where binary wins, by width and by layer.
- :mod:`~bnnbook.bench.probe`: this machine's training rate, to scale times.
- :mod:`~bnnbook.bench.tables` and :mod:`~bnnbook.bench.cli`: the tables and the
  command line (``python -m bnnbook.bench``).
"""
