"""Charts drawn by the server as inline SVG: no JavaScript, no CDN, readable without colour.

Each function returns safe markup sized by its viewBox (it scales to its container's width);
colours come from CSS classes (`chart-*`) the dashboard template styles with the admin's own
variables, so light and dark themes both work. Every mark carries a <title> tooltip.
"""

import math
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def money(value) -> str:
    """12345.6 -> '12,345.60'."""
    return f"{Decimal(value):,.2f}"


def short_money(value) -> str:
    """Axis labels: 950 -> '950', 12500 -> '12.5k', 3400000 -> '3.4M'."""
    value = float(value)
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            text = f"{value / limit:.2f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above value (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _svg(width: int, height: int, label: str, body: list[str]) -> SafeString:
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMidYMid meet"><title>{escape(label)}</title>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text is escaped


def line_chart(
    points: Sequence[tuple[str, str, Decimal]],
    *,
    label: str,
    width: int = 960,
    height: int = 280,
    every: int = 5,
) -> SafeString:
    """points: (axis label, tooltip label, value). A filled line with a dot per point."""
    left, right, top, bottom = 64, 18, 16, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((float(v) for _, _, v in points), default=0))
    n = len(points)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v) -> float:
        return top + plot_h - plot_h * float(v) / peak

    body = []
    for step in range(5):
        value = peak * step / 4
        gy = y(value)
        body.append(
            f'<line class="chart-grid" x1="{left}" y1="{gy:.1f}" x2="{width - right}" '
            f'y2="{gy:.1f}"/><text class="chart-axis" x="{left - 8}" y="{gy + 4:.1f}" '
            f'text-anchor="end">{short_money(value)}</text>'
        )
    for i, (axis, _, _) in enumerate(points):
        if i % every == 0 or i == n - 1:
            anchor = "end" if i == n - 1 and n > 1 else "middle"
            body.append(
                f'<text class="chart-axis" x="{x(i):.1f}" y="{height - 8}" '
                f'text-anchor="{anchor}">{escape(axis)}</text>'
            )
    if points:
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, _, v) in enumerate(points))
        base = top + plot_h
        body.append(
            f'<polygon class="chart-area" points="{x(0):.1f},{base} {line} {x(n - 1):.1f},{base}"/>'
        )
        body.append(f'<polyline class="chart-line" fill="none" points="{line}"/>')
        for i, (_, tip, v) in enumerate(points):
            body.append(
                f'<circle class="chart-dot" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5">'
                f"<title>{escape(tip)}: {money(v)}</title></circle>"
            )
    return _svg(width, height, label, body)


def column_chart(
    columns: Sequence[tuple[str, str, Decimal]],
    *,
    label: str,
    width: int = 960,
    height: int = 220,
    every: int = 3,
) -> SafeString:
    """columns: (axis label, tooltip label, value), drawn as vertical bars (e.g. 24 hours)."""
    left, right, top, bottom = 64, 18, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((float(v) for _, _, v in columns), default=0))
    slot = plot_w / max(len(columns), 1)
    body = []
    for step in range(3):
        value = peak * step / 2
        gy = top + plot_h - plot_h * value / peak
        body.append(
            f'<line class="chart-grid" x1="{left}" y1="{gy:.1f}" x2="{width - right}" '
            f'y2="{gy:.1f}"/><text class="chart-axis" x="{left - 8}" y="{gy + 4:.1f}" '
            f'text-anchor="end">{short_money(value)}</text>'
        )
    for i, (axis, tip, value) in enumerate(columns):
        bar_h = plot_h * float(value) / peak
        bx = left + i * slot + slot * 0.15
        body.append(
            f'<rect class="chart-bar" x="{bx:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{bar_h:.1f}"><title>{escape(tip)}: '
            f"{money(value)}</title></rect>"
        )
        if i % every == 0:
            body.append(
                f'<text class="chart-axis" x="{left + i * slot + slot / 2:.1f}" '
                f'y="{height - 8}" text-anchor="middle">{escape(axis)}</text>'
            )
    if not any(value for _, _, value in columns):
        body.append(
            f'<text class="chart-axis" x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
            'text-anchor="middle">No sales yet</text>'
        )
    return _svg(width, height, label, body)


def bar_chart(
    bars: Sequence[tuple[str, Decimal]], *, label: str, width: int = 600, row: int = 26
) -> SafeString:
    """bars: (name, value), drawn as horizontal bars with the name left and the value right."""
    name_w, value_w, pad = 230, 90, 6
    plot_w = width - name_w - value_w
    height = max(len(bars), 1) * row + pad
    peak = max((float(v) for _, v in bars), default=0) or 1.0
    body = []
    for i, (name, value) in enumerate(bars):
        top = pad + i * row
        short = name if len(name) <= 30 else name[:29] + "…"
        bar_w = max(plot_w * float(value) / peak, 1.0)
        body.append(
            f'<text class="chart-label" x="{name_w - 8}" y="{top + row * 0.6:.1f}" '
            f'text-anchor="end">{escape(short)}<title>{escape(name)}</title></text>'
            f'<rect class="chart-bar" x="{name_w}" y="{top + 3}" width="{bar_w:.1f}" '
            f'height="{row - 8}"><title>{escape(name)}: {money(value)}</title></rect>'
            f'<text class="chart-value" x="{name_w + bar_w + 6:.1f}" '
            f'y="{top + row * 0.6:.1f}">{money(value)}</text>'
        )
    if not bars:
        body.append(f'<text class="chart-axis" x="{width / 2}" y="{row * 0.6}" '
                    'text-anchor="middle">No sales</text>')  # fmt: skip
    return _svg(width, height, label, body)


def signed_bar_chart(
    bars: Sequence[tuple[str, Decimal]], *, label: str, width: int = 600, row: int = 26
) -> SafeString:
    """bars: (name, value) where a value may be negative (over/short): bars grow left of a
    zero line for negative values (`chart-bar-short`) and right for positive ones."""
    name_w, value_w, pad = 200, 80, 6
    plot_w = width - name_w - 2 * value_w
    zero = name_w + value_w + plot_w / 2
    height = max(len(bars), 1) * row + pad
    peak = max((abs(float(v)) for _, v in bars), default=0) or 1.0
    body = [f'<line class="chart-grid" x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height}"/>']
    for i, (name, value) in enumerate(bars):
        top = pad + i * row
        short = name if len(name) <= 26 else name[:25] + "…"
        bar_w = max(plot_w / 2 * abs(float(value)) / peak, 1.0)
        negative = value < 0
        bx = zero - bar_w if negative else zero
        tx, anchor = (bx - 6, "end") if negative else (zero + bar_w + 6, "start")
        css = "chart-bar chart-bar-short" if negative else "chart-bar"
        body.append(
            f'<text class="chart-label" x="{name_w - 8}" y="{top + row * 0.6:.1f}" '
            f'text-anchor="end">{escape(short)}<title>{escape(name)}</title></text>'
            f'<rect class="{css}" x="{bx:.1f}" y="{top + 3}" width="{bar_w:.1f}" '
            f'height="{row - 8}"><title>{escape(name)}: {money(value)}</title></rect>'
            f'<text class="chart-value" x="{tx:.1f}" y="{top + row * 0.6:.1f}" '
            f'text-anchor="{anchor}">{money(value)}</text>'
        )
    if not bars:
        body.append(f'<text class="chart-axis" x="{width / 2}" y="{row * 0.6}" '
                    'text-anchor="middle">No closed sessions</text>')  # fmt: skip
    return _svg(width, height, label, body)
