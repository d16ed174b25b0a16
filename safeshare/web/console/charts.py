"""Geometry for the dashboard's inline SVG charts (no JavaScript, nothing from elsewhere).

Python computes the rectangles; the template draws them with presentation attributes only (the
Content-Security-Policy allows no inline styles). Every chart sits next to a table with the same
numbers, which is also what screen readers use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    maximum: int


def columns(items: list[tuple[str, int]], width: int = 600, height: int = 160, gap: float = 2.0) -> Chart:
    """Vertical bars, one per item (the inquiries-per-day chart)."""
    maximum = max((value for _, value in items), default=0)
    slot = width / max(len(items), 1)
    bars = []
    for index, (label, value) in enumerate(items):
        bar_height = (height - 4) * value / maximum if maximum else 0.0
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(index * slot + gap / 2, 2),
                y=round(height - bar_height, 2),
                width=round(slot - gap, 2),
                height=round(bar_height, 2),
            )
        )
    return Chart(width=width, height=height, bars=bars, maximum=maximum)


def rows(items: list[tuple[str, int]], width: int = 360, row_height: int = 22) -> Chart:
    """Horizontal bars, one row per item (reasons, topics)."""
    maximum = max((value for _, value in items), default=0)
    bars = []
    for index, (label, value) in enumerate(items):
        bar_width = width * value / maximum if maximum else 0.0
        bars.append(
            Bar(
                label=label,
                value=value,
                x=0,
                y=index * row_height + 3,
                width=round(bar_width, 2),
                height=row_height - 6,
            )
        )
    return Chart(width=width, height=max(len(items), 1) * row_height, bars=bars, maximum=maximum)


@dataclass(frozen=True)
class SplitBar:
    label: str
    up: int
    down: int
    y: float
    up_width: float
    down_width: float
    height: float


def split_rows(
    items: list[tuple[str, int, int]], width: int = 360, row_height: int = 22
) -> tuple[list[SplitBar], int]:
    """One stacked row per item: helpful then not helpful (the feedback chart); bars, height."""
    maximum = max((up + down for _, up, down in items), default=0)
    bars = []
    for index, (label, up, down) in enumerate(items):
        scale = width / maximum if maximum else 0.0
        bars.append(
            SplitBar(
                label=label,
                up=up,
                down=down,
                y=index * row_height + 3,
                up_width=round(up * scale, 2),
                down_width=round(down * scale, 2),
                height=row_height - 6,
            )
        )
    return bars, max(len(items), 1) * row_height
