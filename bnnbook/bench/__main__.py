"""``python -m bnnbook.bench``: the benchmark command (:mod:`bnnbook.bench.cli`)."""

from bnnbook.bench.cli import main

main()
