"""docs/benchmarks.md from one run's results: a summary, then a table per benchmark."""

from __future__ import annotations

from datetime import datetime

from bench.common import Machine, Result, Row


def number(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    if value >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:.1f}{unit}"


def verdict(row: Row) -> str:
    if row.meets is None:
        return "—"
    return "yes" if row.meets else "**no**"


def render(results: list[Result], machine: Machine, when: datetime, seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand. Every figure below was",
        "measured in the run described here, each next to its reference measured in the same run,",
        "so that the ratio holds even on a shared, noisy machine. Medians where runs repeat.",
        "Nothing here is checked by the test suite: timings are not tests.",
        "",
        f"- **Run**: {when:%Y-%m-%d %H:%M} UTC, {seconds / 60:.1f} minutes in all",
        f"- **Machine**: {machine.cpu}, {machine.cores} cores, {machine.memory_gb} GB; "
        f"{machine.system}; Python {machine.python}",
        "- **Ratio**: ours ÷ reference. For times and memory, lower is better.",
        "",
        "## Summary",
        "",
        "| # | Benchmark | Target | Ours | Reference | Ratio | Met |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for row in result.rows:
            if row.target:
                lines.append(
                    f"| {result.number} | {row.metric} | {row.target} | "
                    f"{number(row.ours, row.unit)} | {_reference(row)} | {_ratio(row)} | "
                    f"{verdict(row)} |"
                )
    for result in results:
        lines += [
            "",
            f"## {result.number}. {result.title}",
            "",
            "| Metric | Ours | Reference (measured in this run) | Ratio | Target | Met |",
            "|---|---|---|---|---|---|",
        ]
        for row in result.rows:
            reference = (
                f"{_reference(row)} ({row.reference_label})" if row.reference is not None else "—"
            )
            lines.append(
                f"| {row.metric} | {number(row.ours, row.unit)} | {reference} | {_ratio(row)} | "
                f"{row.target or '—'} | {verdict(row)} |"
            )
        lines.append("")
        lines += [f"- {note}" for note in result.notes]
        for row in result.rows:
            if row.meets is False and row.if_missed:
                lines.append(f"- **Missed: {row.metric}.** {row.if_missed}")
        if result.seconds:
            lines.append(f"- This benchmark took {result.seconds:.0f} s.")
    return "\n".join(lines) + "\n"


def _reference(row: Row) -> str:
    return number(row.reference, row.unit) if row.reference is not None else "—"


def _ratio(row: Row) -> str:
    return f"{row.ratio:.2f}×" if row.ratio is not None else "—"
