"""uxlab.charts: valid SVG/PNG with the bars and error bars the data call for."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from uxlab import charts, stats

SVG = "{http://www.w3.org/2000/svg}"


def _ids(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [el.get("id", "") for el in root.iter()]


def _count(ids: list[str], prefix: str) -> int:
    return sum(i.startswith(prefix) for i in ids)


def _text(svg: bytes) -> str:
    return " ".join(t for t in ET.fromstring(svg).itertext())


LABELS = ["Find a rain jacket", "Check the returns policy", "Place the order"]


def test_completion_chart_bars_error_bars_and_labels() -> None:
    rates = [stats.completion_rate(19, 29), None, stats.completion_rate(5, 5)]
    svg = charts.render(
        charts.completion_chart(LABELS, rates, subtitle="n = 5–29 attempts per task")
    )
    ids = _ids(svg)
    assert _count(ids, "completion-bar-") == 2
    assert _count(ids, "completion-errorbar-") == 2
    assert "completion-benchmark" in ids
    text = _text(svg)
    for words in (
        "Task completion rate",
        "n = 5–29",
        "Completion rate (% of",
        "no data",
    ):
        assert words in text
    assert "Benchmark 78 %" in text


def test_times_chart_on_a_log_axis() -> None:
    one = stats.time_on_task([55, 65, 75, 62, 45, 135])
    single = stats.time_on_task([40])  # no interval from one time
    svg = charts.render(charts.times_chart(LABELS, [one, single, None]))
    ids = _ids(svg)
    assert _count(ids, "times-point-") == 2
    assert _count(ids, "times-errorbar-") == 1
    assert "seconds, log scale" in _text(svg)


def test_seq_chart() -> None:
    r = stats.rating_summary([7, 6, 5, 7, 4, 6, 7, 5, 3, 6], benchmark=5.5)
    svg = charts.render(charts.seq_chart(LABELS, [r, r, r]))
    ids = _ids(svg)
    assert _count(ids, "seq-bar-") == 3
    assert _count(ids, "seq-errorbar-") == 3
    assert "Average SEQ (5.5)" in _text(svg)


def test_sus_chart_histogram_and_grade_bands() -> None:
    scores = np.array([72.5, 85.0, 67.5, 90.0, 77.5, 62.5, 100.0, 40.0])
    svg = charts.render(charts.sus_chart(scores, stats.sus_summary(scores)))
    ids = _ids(svg)
    assert _count(ids, "sus-bar-") == len(charts.SUS_BINS) - 1 == 20
    assert _count(ids, "sus-errorbar-") == 1
    assert {f"sus-band-{g}" for g in "ABCDF"} <= set(ids)
    assert "Participants" in _text(svg)


def test_sus_band_letters_stay_readable_over_the_benchmark_line() -> None:
    """The average-68 line runs through the C band: its letter is drawn over it."""
    scores = np.array([72.5, 85.0, 67.5, 90.0, 77.5, 62.5, 100.0, 40.0])
    fig = charts.sus_chart(scores, stats.sus_summary(scores))
    ax = fig.axes[0]
    line = next(x for x in ax.lines if x.get_label().startswith("Average SUS"))
    letter = next(t for t in ax.texts if t.get_text() == "C")
    assert letter.get_zorder() > line.get_zorder()
    patch = letter.get_bbox_patch()
    assert patch is not None and patch.get_facecolor()[3] == 1.0  # opaque


def test_nps_chart_segments() -> None:
    r = stats.nps_from_counts(50, 30, 20)
    svg = charts.render(charts.nps_chart(r))
    ids = _ids(svg)
    assert {"nps-detractors", "nps-passives", "nps-promoters"} <= set(ids)
    text = _text(svg)
    assert "Net Promoter Score +30" in text and "50 %" in text


def test_difference_chart() -> None:
    diffs = [stats.compare_completion(40, 60, 15, 35), None]
    times = [stats.compare_times([40, 52, 35, 60, 48], [61, 70, 55, 90, 66]), None]
    svg = charts.render(
        charts.difference_chart(
            LABELS[:2], diffs, times, label_a="Design A", label_b="Design B"
        )
    )
    ids = _ids(svg)
    assert _count(ids, "diff-completion-point-") == 1
    assert _count(ids, "diff-completion-errorbar-") == 1
    assert _count(ids, "diff-time-errorbar-") == 1
    assert "Design B compared with Design A" in _text(svg)
    # The time-ratio axis names ratios either side of 1, not just "1×".
    text = _text(svg)
    assert "1×" in text and "0.5×" in text and "2×" in text


def test_discovery_chart() -> None:
    n = stats.sample_size_for_discovery(0.1, 0.85)
    svg = charts.render(charts.discovery_chart(0.1, 0.85, n))
    ids = _ids(svg)
    assert "discovery-curve" in ids
    assert f"n = {n}" in _text(svg)


def test_png_and_bad_format() -> None:
    fig = charts.nps_chart(stats.nps_from_counts(5, 3, 2))
    png = charts.render(fig, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # 10 in at 150 dpi: slide-sized.
    assert int.from_bytes(png[16:20], "big") == 1500
    with pytest.raises(ValueError, match="svg"):
        charts.render(fig, "gif")


def test_charts_never_load_pyplot() -> None:
    code = (
        "import sys, uxlab.charts as c; from uxlab import stats; "
        "c.render(c.nps_chart(stats.nps_from_counts(5, 3, 2)), 'png'); "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_times_chart_plots_the_centre_of_the_table() -> None:
    # From 25 times the table's centre is the median with its distribution-free
    # interval (ranks 10 and 21 of 30: 38 s to 60 s, Conover 1999 sec. 3.2);
    # the chart must show the same point and bar, not the geometric mean's.
    result = stats.time_on_task([20 + 2 * i for i in range(30)])
    fig = charts.times_chart(["Find it"], [result])
    ax = fig.axes[0]
    point = next(line for line in ax.lines if line.get_gid() == "times-point-0")
    assert point.get_xdata()[0] == 49.0
    bar = next(c for c in ax.collections if c.get_gid() == "times-errorbar-0")
    ((x0, _), (x1, _)) = bar.get_segments()[0]
    assert (x0, x1) == (38.0, 60.0)


# [3, 900]: two times whose log-t interval (df = 1) reaches 0 s at the bottom,
# which once left a log axis with no labels at all.
@pytest.mark.parametrize(
    "seconds", [[42.0], [42.0, 42.0], [30.0, 31.0], [3.0, 900.0], [2.0, 3.0, 700.0]]
)
def test_times_chart_keeps_its_axis_labels_whatever_n(seconds: list[float]) -> None:
    fig = charts.times_chart(["Find it"], [stats.time_on_task(seconds)])
    fig.draw_without_rendering()
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    shown = [
        t.get_text()
        for t, loc in zip(ax.get_xticklabels(), ax.get_xticks(), strict=True)
        if low <= loc <= high and t.get_text()
    ]
    assert len(shown) >= 2, shown
