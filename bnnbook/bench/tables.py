"""Markdown tables of the engines' speed and memory (chapter 4, the bench command)."""

from __future__ import annotations

from bnnbook.bench import rounds


def speed_table(results: list[dict]) -> str:
    """A markdown table of :func:`bnnbook.bench.forked.compare`'s results (with
    throughput): batch-1 latency (µs) and throughput (images/s), each as median
    [lowest, highest round], one row per config."""
    from bnnbook.plots import markdown_table  # matplotlib: not in the worker processes

    rows = [[
        "engine",
        "threads",
        "latency, batch 1 (µs)",
        "throughput (images/s)",
    ]]
    for r in results:
        speed = r["images_per_second"]
        rows.append([
            r["label"],
            r["threads"],
            rounds.format_us(rounds.Spread(**r["latency"])),
            f"{speed['median']:,.0f} [{speed['low']:,.0f}, {speed['high']:,.0f}]",
        ])
    return markdown_table(rows)


def memory_table(results: list[dict]) -> str:
    """A markdown table of :func:`bnnbook.bench.measure.measure_fresh` results: resident
    memory (MiB) of each engine's new process before its model was loaded, at its
    peak, and the difference (what the model and its engine's buffers cost)."""
    from bnnbook.plots import markdown_table

    rows = [["engine", "RSS before model (MiB)", "peak RSS (MiB)", "difference (MiB)"]]
    for r in results:
        before, peak = r["rss_before_bytes"] / 2**20, r["peak_rss_bytes"] / 2**20
        mib = (f"{before:,.0f}", f"{peak:,.0f}", f"{peak - before:,.1f}")
        rows.append([r["label"], *mib])
    return markdown_table(rows)
