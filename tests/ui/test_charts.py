"""The SVG charts: bar heights and line points follow the numbers, gaps stay gaps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hookline.ui.charts import HEIGHT, WIDTH, deliveries_svg, latency_svg, nice_ceiling

START = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Hour:
    start: datetime
    successes: int
    failures: int
    mean_duration_ms: int | None
    max_duration_ms: int | None


def hours(*counts: tuple[int, int, int | None, int | None]) -> list[Hour]:
    return [Hour(START + timedelta(hours=i), *c) for i, c in enumerate(counts)]


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (99, 100), (101, 200), (4999, 5000)]
)
def test_the_axis_rounds_up_to_a_readable_number(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling


def test_bars_stack_successes_on_failures_to_scale() -> None:
    svg = deliveries_svg(hours((3, 1, 10, 20), (0, 0, None, None), (0, 4, 5, 5)), ceiling=4)
    assert f'viewBox="0 0 {WIDTH} {HEIGHT}"' in svg and 'aria-hidden="true"' in svg
    failed = re.findall(r'class="bar-failed" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg)
    ok = re.findall(r'class="bar-ok" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg)
    assert [float(h) for _, _, h in failed] == [HEIGHT / 4, HEIGHT]
    assert [float(h) for _, _, h in ok] == [HEIGHT * 3 / 4]
    assert float(ok[0][1]) == 0.0  # 3 + 1 of 4: the stack reaches the top
    assert float(failed[1][0]) > float(failed[0][0])  # the third hour is to the right


def test_latency_lines_break_where_an_hour_had_no_attempts() -> None:
    svg = latency_svg(hours((1, 0, 100, 200), (1, 0, 50, 100), (0, 0, None, None), (1, 0, 200, 200)), 200)
    means = re.findall(r'class="line-mean" points="([^"]+)"', svg)
    assert len(means) == 2  # one run for the first two hours, a tick for the last
    first = [tuple(map(float, p.split(","))) for p in means[0].split()]
    assert [y for _, y in first] == [HEIGHT / 2, HEIGHT * 3 / 4]
    assert all(float(p.split(",")[1]) == 0.0 for p in means[1].split())
