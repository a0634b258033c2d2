"""A small SVG line chart drawn on the server: free places over time for one place type.
No script and no library; the numbers are also given as text for screen readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from services.web.core.render import as_datetime, local_zone
from shared.care_rules import WEEKDAYS
from shared.contracts.capacity import HistoryPoint

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 26


@dataclass(frozen=True, slots=True)
class Chart:
    svg: str
    summary: str


def _nice_max(value: int) -> int:
    for step in (2, 4, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step:
            return step
    return ((value // 1000) + 1) * 1000


def draw(title: str, points: list[HistoryPoint], chart_id: str) -> Chart:
    """The chart of `points`; moments without a fresh report are left as gaps (unknown is
    not zero)."""
    moments = [(as_datetime(p.at), p.available, p.reporting) for p in points]
    known = [(at, free) for at, free, reporting in moments if at and reporting > 0]
    top = _nice_max(max((free for _, free in known), default=0))
    start = moments[0][0] if moments and moments[0][0] else None
    end = moments[-1][0] if moments and moments[-1][0] else None
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (end - start).total_seconds() if start and end and end > start else 1.0

    def x(at: datetime) -> float:
        assert start is not None
        return LEFT + plot_w * (at - start).total_seconds() / span

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / top)

    parts: list[str] = []
    for value in (0, top // 2, top):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/><text x="{LEFT - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{value}</text>'
        )
    if start and end:
        day = start.astimezone(local_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
        day += timedelta(days=1)
        while day <= end:
            px = x(day)
            label = f"{WEEKDAYS[day.weekday()]} {day.day}"
            parts.append(
                f'<line class="grid" x1="{px:.1f}" x2="{px:.1f}" y1="{TOP}" '
                f'y2="{HEIGHT - BOTTOM}"/><text x="{px:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{label}</text>'
            )
            day += timedelta(days=1)
    # One polyline per run of known moments; a gap where nothing fresh was reported.
    runs: list[list[tuple[datetime, int]]] = [[]]
    for at, free, reporting in moments:
        if at is None:
            continue
        if reporting > 0:
            runs[-1].append((at, free))
        elif runs[-1]:
            runs.append([])
    for run in runs:
        if not run:
            continue
        coords = " ".join(f"{x(at):.1f},{y(free):.1f}" for at, free in run)
        if len(run) == 1:
            at, free = run[0]
            parts.append(
                f'<circle class="dot" cx="{x(at):.1f}" cy="{y(free):.1f}" r="3" fill="#0b4f8a"/>'
            )
        else:
            area = f"{x(run[0][0]):.1f},{y(0):.1f} {coords} {x(run[-1][0]):.1f},{y(0):.1f}"
            parts.append(f'<polygon class="area" points="{area}"/>')
            parts.append(f'<polyline class="line" points="{coords}"/>')
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
    )
    if known:
        now_free = known[-1][1]
        values = [free for _, free in known]
        summary = (
            f"{title}: nu {now_free} vrij; in deze periode hoogstens {max(values)} en "
            f"minstens {min(values)} vrij."
        )
    else:
        summary = f"{title}: in deze periode geen actuele meldingen."
    svg = (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t '
        f'{chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(summary)}</desc>' + "".join(parts) + "</svg>"
    )
    return Chart(svg=svg, summary=summary)
