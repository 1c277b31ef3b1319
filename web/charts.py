"""A bar chart of counts per month, as accessible inline SVG (with a table beside it)."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, PAD = 640, 200, 24


def month_bars(months: list[tuple[str, int]], *, label: str) -> str:
    if not months:
        return ""
    top = max(count for _m, count in months) or 1
    slot = (WIDTH - 2 * PAD) / len(months)
    bar = min(max(4.0, slot * 0.7), 48.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(label)}</title>',
    ]
    for index, (month, count) in enumerate(months):
        height = (HEIGHT - 2 * PAD) * count / top
        x = PAD + index * slot + (slot - bar) / 2
        y = HEIGHT - PAD - height
        parts.append(
            f"<g><title>{escape(month)}: {count}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}"/>'
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
            f"{escape(month[2:])}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
