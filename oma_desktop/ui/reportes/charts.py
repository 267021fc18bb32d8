"""The chart of a report table on screen, drawn by QtCharts (issue #11, point 3).

A table with a ``chart`` hint (``bar``, ``hbar``, ``pie``) gives its categories in its first
text column and its series in :meth:`Table.series_columns` (by default every count
column). The totals row is not drawn; a value that is not a number (a suppressed «<5»)
counts as zero. Horizontal bars list the categories from the top in the table's order;
vertical bars with long or many category names are drawn horizontally, so every name is
read whole.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QHorizontalBarSeries,
    QPieSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont

from oma_desktop.services.report_model import Table

# a palette readable in print and by the colour-blind (Okabe–Ito)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
# a pie with more slices than this is unreadable: the rest go into one slice
MAX_PIE_SLICES = 8
# vertical bars whose category names are longer than this (or more of them than
# MAX_COLUMNS) are drawn horizontally, where the names can be read whole
LONG_LABEL = 14
MAX_COLUMNS = 8
LABEL_COLOR = QColor("#202124")
# category names longer than this are shortened with «…» beside horizontal bars (the table
# beside the chart has them whole)
AXIS_LABEL_CHARS = 26


@dataclass(frozen=True)
class ChartData:
    kind: str  # bar, hbar, pie
    title: str
    categories: list[str]
    series: list[tuple[str, list[float]]]  # (label, one value per category)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return 0.0


def short_label(text: str, limit: int = AXIS_LABEL_CHARS) -> str:
    """``text`` cut at a word to at most ``limit`` characters, with «…» when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" :,;-") + "…"


def axis_labels(names: list[str], *, shorten: bool) -> list[str]:
    """The names for a category axis, which takes each name once: shortened when asked
    (whole where shortening would make two equal), a repeated name numbered."""
    short = [short_label(n) if shorten else n for n in names]
    counts = Counter(short)
    out: list[str] = []
    for name, label in zip(names, short, strict=True):
        out.append(name if counts[label] > 1 else label)
    seen: Counter[str] = Counter()
    unique = []
    for label in out:
        seen[label] += 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique


def chart_data(table: Table) -> ChartData | None:
    """What the chart of ``table`` shows; None without a chart hint or anything to draw."""
    if table.chart is None or not table.rows:
        return None
    text_columns = [i for i, c in enumerate(table.columns) if c.kind == "text"]
    category = text_columns[0] if text_columns else 0
    series_columns = table.series_columns()
    if not series_columns:
        return None
    categories = ["" if row[category] is None else str(row[category]) for row in table.rows]
    series = []
    for column in series_columns:
        index = table.column_index(column.key)
        series.append((column.label, [_number(row[index]) for row in table.rows]))
    kind: str = table.chart
    if table.chart == "pie":
        series = series[:1]
    elif kind == "bar" and (len(categories) > MAX_COLUMNS
                            or max((len(c) for c in categories), default=0) > LONG_LABEL):
        kind = "hbar"
    return ChartData(kind, table.title, categories, series)


def build_chart(table: Table) -> QChart | None:
    """A QChart for ``table`` (None when it has no chart)."""
    data = chart_data(table)
    if data is None:
        return None
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setBackgroundRoundness(0)
    if data.kind == "pie":
        _pie(chart, data)
    else:
        _bars(chart, data)
    legend = chart.legend()
    legend.setVisible(data.kind == "pie" or len(data.series) > 1)
    legend.setAlignment(Qt.AlignmentFlag.AlignRight if data.kind == "pie"
                        else Qt.AlignmentFlag.AlignBottom)
    return chart


def _bars(chart: QChart, data: ChartData) -> None:
    horizontal = data.kind == "hbar"
    series: QAbstractBarSeries = QHorizontalBarSeries() if horizontal else QBarSeries()
    # horizontal bars are drawn from the bottom: reversed, the table's first row is on top
    order = list(reversed(range(len(data.categories)))) if horizontal else list(
        range(len(data.categories)))
    for number, (label, values) in enumerate(data.series):
        bar_set = QBarSet(label)
        bar_set.setColor(QColor(PALETTE[number % len(PALETTE)]))
        bar_set.setLabelColor(LABEL_COLOR)
        for i in order:
            bar_set.append(values[i])
        series.append(bar_set)
    series.setLabelsVisible(True)
    series.setLabelsFormat("@value")
    series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
    chart.addSeries(series)
    categories = QBarCategoryAxis()
    categories.append(axis_labels([data.categories[i] for i in order], shorten=horizontal))
    categories.setTruncateLabels(False)
    axis = QValueAxis()
    axis.setLabelFormat("%d")
    axis.setMin(0)
    top = max((v for _label, vs in data.series for v in vs), default=0.0)
    axis.setMax(max(1.0, top * 1.15))  # room for the labels outside the bars
    axis.applyNiceNumbers()
    small = QFont()
    small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
    categories.setLabelsFont(small)
    axis.setLabelsFont(small)
    if horizontal:
        chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
    else:
        chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(categories)
    series.attachAxis(axis)


def _pie(chart: QChart, data: ChartData) -> None:
    from oma_desktop.i18n import _

    series = QPieSeries()
    _label, values = data.series[0]
    pairs = sorted(((v, c) for c, v in zip(data.categories, values, strict=True) if v > 0),
                   key=lambda p: -p[0])
    if len(pairs) > MAX_PIE_SLICES:
        rest = sum(v for v, _c in pairs[MAX_PIE_SLICES - 1:])
        pairs = [*pairs[:MAX_PIE_SLICES - 1], (rest, _("Others"))]
    whole = sum(v for v, _c in pairs) or 1.0
    for number, (value, category) in enumerate(pairs):
        piece = series.append(f"{category} ({100 * value / whole:.0f}%)", value)
        piece.setColor(QColor(PALETTE[number % len(PALETTE)]))
    chart.addSeries(series)
