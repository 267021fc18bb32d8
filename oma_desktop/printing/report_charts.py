"""Charts of a report's tables for the PDF, drawn by reportlab.graphics (issue #11, point 3).

A table with a ``chart`` hint (``bar``, ``hbar``, ``pie``) becomes a vertical bar chart, a
horizontal bar chart or a pie: the first ``text`` column gives the categories, the table's
series columns the values (``Table.series_columns``), the totals row is left out. Long
tables chart their largest categories (and say so); a pie keeps its largest slices and
gathers the rest as «Otros». Cells suppressed for partners («<5», «*») are not drawn, and
the caption says so. Every label uses the embedded font.

The printing layer does not import the services: a table is anything shaped like
``services.report_model.Table`` (:class:`TableLike`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from oma_desktop.i18n import _
from oma_desktop.printing.letterhead import FONT, FONT_BOLD

PALETTE = ("#1f3a5f", "#e6550d", "#3182bd", "#31a354", "#756bb1", "#fdae6b", "#9ecae1",
           "#bdbdbd", "#e377c2", "#8c564b")
MAX_BARS = 20
MAX_SLICES = 8


class ColumnLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def kind(self) -> str: ...


class TableLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def columns(self) -> Sequence[ColumnLike]: ...
    @property
    def rows(self) -> Sequence[Sequence[Any]]: ...
    @property
    def total(self) -> Sequence[Any] | None: ...
    @property
    def note(self) -> str: ...
    @property
    def chart(self) -> str | None: ...

    def series_columns(self) -> Sequence[ColumnLike]: ...


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def shorten(text: str, font_size: float, width: float, font: str = FONT) -> str:
    """``text`` cut with an ellipsis so it is at most ``width`` points wide."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, font_size) <= width:
        return text
    while text and stringWidth(text + "…", font, font_size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


class ChartData:
    """What a chart shows: category labels, one list of values per series (None where a
    cell was suppressed), the series names, and what the caption must say."""

    def __init__(self, table: TableLike) -> None:
        columns = list(table.columns)
        label_at = next((i for i, c in enumerate(columns) if c.kind == "text"), 0)
        series = list(table.series_columns())
        indexes = [next(i for i, c in enumerate(columns) if c.key == s.key) for s in series]
        self.names = [s.label for s in series]
        rows = [(str(r[label_at]), [_number(r[i]) for i in indexes]) for r in table.rows]
        self.suppressed = any(r[i] not in (None, "") and _number(r[i]) is None
                              for r in table.rows for i in indexes)
        self.total_rows = len(rows)
        if table.chart != "pie" and len(rows) > MAX_BARS:
            keep = sorted(range(len(rows)), key=lambda k: -(rows[k][1][0] or 0))[:MAX_BARS]
            rows = [rows[k] for k in sorted(keep)]
        self.labels = [label for label, _values in rows]
        self.values = [[values[s] for _label, values in rows] for s in range(len(series))]

    @property
    def cut(self) -> bool:
        return len(self.labels) < self.total_rows

    def empty(self) -> bool:
        return not any(v for serie in self.values for v in serie if v)


def _caption(data: ChartData) -> str:
    parts = []
    if data.cut:
        parts.append(_("The {n} largest of {total} categories.").format(
            n=len(data.labels), total=data.total_rows))
    if data.suppressed:
        parts.append(_("Suppressed cells (under 5) are not drawn."))
    return " ".join(parts)


def table_chart(table: TableLike, width: float) -> tuple[Any, str] | None:
    """A reportlab Drawing charting ``table`` at ``width`` points and its caption (what the
    chart leaves out, or ""), or None when the table has no chart hint, no series or nothing
    but zeros."""
    if table.chart not in ("bar", "hbar", "pie") or not table.rows:
        return None
    if not table.series_columns():
        return None
    data = ChartData(table)
    if data.empty():
        return None
    draw = {"pie": _pie, "hbar": _hbar}.get(table.chart, _vbar)
    return draw(data, width), _caption(data)


def new_drawing(width: float, height: float) -> Any:
    """A Drawing whose renderer starts in the embedded font (reportlab's default would add
    an unembedded Helvetica to the PDF)."""
    from reportlab.graphics.shapes import Drawing

    drawing = Drawing(width, height)
    drawing.initialFontName = FONT
    drawing.initialFontSize = 8
    return drawing


def _color(index: int) -> Any:
    from reportlab.lib import colors

    return colors.HexColor(PALETTE[index % len(PALETTE)])


def _legend(data: ChartData, x: float, y: float, size: float = 7.5) -> Any:
    from reportlab.graphics.charts.legends import Legend

    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = FONT, size
    legend.alignment = "right"
    legend.dx = legend.dy = size
    legend.deltay = size + 3
    legend.columnMaximum = 12
    legend.boxAnchor = "nw"
    legend.colorNamePairs = [(_color(i), name) for i, name in enumerate(data.names)]
    return legend


def _legend_height(data: ChartData) -> float:
    """Room under a bar chart for the legend of its series (none for a single series)."""
    series = len(data.values)
    return 14.0 * ((series + 3) // 4) if series > 1 else 0.0


def _add_series_legend(drawing: Any, data: ChartData, x: float, legend_h: float,
                       **style: Any) -> None:
    """The legend of a bar chart's series in the ``legend_h`` under it, a name a line, with
    the Legend attributes ``style``; nothing for a single series."""
    if len(data.values) <= 1:
        return
    legend = _legend(data, x, legend_h - 2)
    legend.columnMaximum = 1
    legend.autoXPadding = 12
    for name, value in style.items():
        setattr(legend, name, value)
    drawing.add(legend)


def _figure(value: float) -> str:
    """A charted figure: whole numbers without decimals, others with one."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _style_bars(chart: Any, data: ChartData, size: float) -> None:
    from reportlab.lib import colors

    chart.data = [[v if v is not None else 0 for v in serie] for serie in data.values]
    for i in range(len(data.values)):
        chart.bars[i].fillColor = _color(i)
        chart.bars[i].strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = size
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    chart.valueAxis.gridStrokeWidth = 0.4
    chart.valueAxis.strokeColor = colors.HexColor("#888888")
    chart.categoryAxis.strokeColor = colors.HexColor("#888888")
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = size
    maximum = max((v for serie in data.values for v in serie if v is not None), default=0)
    if maximum <= 5:
        chart.valueAxis.valueMax = 5
        chart.valueAxis.valueStep = 1
    elif all(float(v).is_integer() for serie in data.values for v in serie if v is not None):
        chart.valueAxis.labelTextFormat = "%d"
    # each bar's value beside it; suppressed cells show nothing
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = size - 0.5
    chart.barLabelFormat = lambda v: _figure(v) if v else ""


def _vbar(data: ChartData, width: float) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    size = 7.0
    legend_h = _legend_height(data)
    many = len(data.labels) > 6
    label_room = 58.0 if many else 26.0
    height = 150.0 + label_room + legend_h
    drawing = new_drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 36.0, label_room + legend_h
    chart.width, chart.height = width - 46.0, 140.0
    _style_bars(chart, data, size)
    chart.barLabels.nudge = 6
    slot = chart.width / max(1, len(data.labels))
    if many:
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.categoryAxis.labels.dx, chart.categoryAxis.labels.dy = 2, -2
        chart.categoryAxis.categoryNames = [shorten(t, size, label_room * 1.6)
                                            for t in data.labels]
    else:
        chart.categoryAxis.labels.boxAnchor = "n"
        chart.categoryAxis.categoryNames = [shorten(t, size, slot - 4) for t in data.labels]
    chart.groupSpacing = max(2.0, slot * 0.25)
    drawing.add(chart)
    _add_series_legend(drawing, data, chart.x, legend_h, dxTextSpace=4)
    return drawing


def _hbar(data: ChartData, width: float) -> Any:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = 7.0
    series = len(data.values)
    per_bar = 11.0 if series == 1 else 8.0 * series + 4
    legend_h = _legend_height(data)
    plot_h = per_bar * len(data.labels) + 6
    height = plot_h + 22 + legend_h
    label_w = min(width * 0.42, max(stringWidth(t, FONT, size) for t in data.labels) + 8)
    drawing = new_drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_w, 16 + legend_h
    chart.width, chart.height = width - label_w - 34, plot_h
    _style_bars(chart, data, size)
    chart.barLabels.nudge = 8
    chart.categoryAxis.reverseDirection = 1  # the first row on top, as in the table
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    chart.categoryAxis.categoryNames = [shorten(t, size, label_w - 8) for t in data.labels]
    chart.groupSpacing = 3 if series == 1 else 5
    chart.barSpacing = 1
    drawing.add(chart)
    _add_series_legend(drawing, data, chart.x, legend_h)
    return drawing


def _pie(data: ChartData, width: float) -> Any:
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import String
    from reportlab.lib import colors

    size = 7.5
    pairs = [(label, v) for label, v in zip(data.labels, data.values[0], strict=True)
             if v is not None and v > 0]
    pairs.sort(key=lambda p: -p[1])
    if len(pairs) > MAX_SLICES:
        rest = sum(v for _label, v in pairs[MAX_SLICES - 1:])
        pairs = [*pairs[:MAX_SLICES - 1], (_("Others"), rest)]
    whole = sum(v for _label, v in pairs)
    diameter = 120.0
    height = max(diameter + 20, 14.0 * len(pairs) + 20)
    drawing = new_drawing(width, height)
    pie = Pie()
    pie.x, pie.y = 20.0, (height - diameter) / 2
    pie.width = pie.height = diameter
    pie.data = [v for _label, v in pairs]
    pie.labels = None
    pie.simpleLabels = 1
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 0.8
    pie.startAngle = 90
    pie.direction = "clockwise"
    for i in range(len(pairs)):
        pie.slices[i].fillColor = _color(i)
    drawing.add(pie)
    # the legend: a swatch, the category, its count and share
    x = pie.x + diameter + 30
    y = height - 14.0
    text_w = width - x - 90
    for i, (label, v) in enumerate(pairs):
        from reportlab.graphics.shapes import Rect

        drawing.add(Rect(x, y - 1, 8, 8, fillColor=_color(i), strokeColor=None))
        drawing.add(String(x + 13, y, shorten(label, size, text_w), fontName=FONT,
                           fontSize=size))
        share = 100.0 * v / whole if whole else 0.0
        drawing.add(String(x + 13 + text_w + 72, y, f"{_figure(v)}  ({share:.1f} %)",
                           fontName=FONT_BOLD, fontSize=size, textAnchor="end"))
        y -= 14.0
    return drawing


__all__ = ["ChartData", "ColumnLike", "TableLike", "new_drawing", "shorten", "table_chart"]
