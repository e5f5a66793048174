"""Server-rendered SVG charts: deliveries per hour (successes stacked on failures) and latency.

No build step and no script: each chart is an inline `<svg>` of plain shapes, stretched to its
card (`preserveAspectRatio="none"`, strokes that do not scale), with its axis labels, legend and
a table of the same numbers in HTML around it, so text stays readable at any width and screen
readers get the figures rather than a picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from markupsafe import Markup

WIDTH = 720
HEIGHT = 160
GAP = 0.15
"""The share of an hour's slot left empty between two bars."""


class HourPoint(Protocol):
    """One hour of attempts, as the health use cases hand it out."""

    @property
    def start(self) -> datetime: ...
    @property
    def successes(self) -> int: ...
    @property
    def failures(self) -> int: ...
    @property
    def mean_duration_ms(self) -> int | None: ...
    @property
    def max_duration_ms(self) -> int | None: ...


def nice_ceiling(value: float) -> int:
    """The axis maximum: `value` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    raise AssertionError("unreachable")  # pragma: no cover


def deliveries_svg(points: Sequence[HourPoint], ceiling: int) -> Markup:
    """Bars per hour: successes (green) on top of failures (red), scaled to `ceiling`."""
    slot = WIDTH / max(len(points), 1)
    shapes = []
    for index, point in enumerate(points):
        x = index * slot + slot * GAP / 2
        width = slot * (1 - GAP)
        failed_height = HEIGHT * point.failures / ceiling
        ok_height = HEIGHT * point.successes / ceiling
        if point.failures:
            shapes.append(_rect("bar-failed", x, HEIGHT - failed_height, width, failed_height))
        if point.successes:
            shapes.append(_rect("bar-ok", x, HEIGHT - failed_height - ok_height, width, ok_height))
    return _svg("".join(shapes))


def latency_svg(points: Sequence[HourPoint], ceiling: int) -> Markup:
    """Mean (solid) and slowest (dashed) attempt per hour; hours without attempts leave gaps."""
    slot = WIDTH / max(len(points), 1)
    lines = []
    series = (
        ("line-max", [point.max_duration_ms for point in points]),
        ("line-mean", [point.mean_duration_ms for point in points]),
    )
    for css, values in series:
        for run in _runs(list(enumerate(values))):
            coordinates = " ".join(
                f"{(index + 0.5) * slot:.1f},{HEIGHT - HEIGHT * value / ceiling:.1f}" for index, value in run
            )
            if len(run) == 1:  # a lone hour: a short tick, so it is still visible
                index, value = run[0]
                y = HEIGHT - HEIGHT * value / ceiling
                coordinates = (
                    f"{index * slot + slot * 0.2:.1f},{y:.1f} {index * slot + slot * 0.8:.1f},{y:.1f}"
                )
            lines.append(
                f'<polyline class="{css}" points="{coordinates}" vector-effect="non-scaling-stroke"/>'
            )
    return _svg("".join(lines))


def _runs(values: list[tuple[int, int | None]]) -> list[list[tuple[int, int]]]:
    """Consecutive hours that have a value, so a line breaks where an hour had no attempts."""
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for index, value in values:
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return runs


def _rect(css: str, x: float, y: float, width: float, height: float) -> str:
    return f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}"/>'


def _svg(shapes: str) -> Markup:
    grid = "".join(
        f'<line class="grid" x1="0" x2="{WIDTH}" y1="{HEIGHT * share:.1f}" y2="{HEIGHT * share:.1f}" '
        'vector-effect="non-scaling-stroke"/>'
        for share in (0, 0.5, 1)
    )
    return Markup(
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" '
        f'aria-hidden="true" focusable="false">{grid}{shapes}</svg>'
    )


@dataclass(frozen=True, slots=True)
class Charts:
    """Both charts of one window's hourly series, with what their HTML labels need."""

    deliveries: Markup
    deliveries_ceiling: int
    latency: Markup
    latency_ceiling_ms: int
    points: Sequence[HourPoint]


def charts_of(points: Sequence[HourPoint]) -> Charts:
    busiest = max((p.successes + p.failures for p in points), default=0)
    slowest = max((p.max_duration_ms or 0 for p in points), default=0)
    # a line at its ceiling would sit on the frame: a little headroom above the slowest hour
    deliveries_ceiling, latency_ceiling = nice_ceiling(busiest), nice_ceiling(slowest * 1.1)
    return Charts(
        deliveries_svg(points, deliveries_ceiling),
        deliveries_ceiling,
        latency_svg(points, latency_ceiling),
        latency_ceiling,
        points,
    )
