"""The shape every report takes on its way to the screen, PDF, Excel and CSV (issue #11).

A report (general, labour diagnostic, social programmes diagnostic, R4V 5W, the follow-up
list) is built by its service as a :class:`ReportDocument`: sections holding tables of
already translated labels and plain values. The outputs (``printing/report_pdf.py``,
``services/report_export.py``, the Reportes page) render any document the same way, so a
figure is computed once and shown identically everywhere.

- A :class:`Column`'s ``kind`` says how to show and export its values: ``text``, ``count``
  (whole people or records: what small-cell suppression applies to), ``number``,
  ``percent`` (0..100, one decimal) or ``days``.
- A :class:`Table` may carry a ``chart`` hint (``bar``, ``hbar``, ``pie``): the first
  ``text`` column gives the categories and the ``chart_columns`` (default: every ``count``
  column) the series. Charts are drawn by charting libraries (QtCharts in the app,
  reportlab.graphics in the PDF).
- ``total`` is the table's totals row (or None); totals are counted, not summed from
  suppressed cells.
- ``personal`` marks a document that holds names or document numbers (the follow-up list):
  it is never produced for partners.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ColumnKind = Literal["text", "count", "number", "percent", "days"]
ChartKind = Literal["bar", "hbar", "pie"]
ReportKind = Literal["general", "laboral", "programas", "5w", "seguimiento"]
REPORT_KINDS: tuple[ReportKind, ...] = ("general", "laboral", "programas", "5w")

# partner exports show no cell under this many people (issue #11, point 7)
SMALL_CELL = 5
SUPPRESSED = "<5"


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # translated
    kind: ColumnKind = "count"


@dataclass
class Table:
    key: str  # stable identifier (tests, sheet names): "by_topic", "by_age_band"...
    title: str  # translated
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None
    note: str = ""  # translated; shown under the table
    chart: ChartKind | None = None
    chart_columns: tuple[str, ...] = ()  # column keys; default every count column

    def column_index(self, key: str) -> int:
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        raise KeyError(key)

    def as_dicts(self) -> list[dict[str, Any]]:
        """The rows as {column key: value} (tests, the CSV export)."""
        return [{c.key: v for c, v in zip(self.columns, row, strict=True)} for row in self.rows]

    def value(self, row_label: Any, column_key: str) -> Any:
        """The value of ``column_key`` in the row whose first cell is ``row_label``."""
        index = self.column_index(column_key)
        for row in self.rows:
            if row[0] == row_label:
                return row[index]
        raise KeyError(row_label)

    def series_columns(self) -> list[Column]:
        if self.chart_columns:
            return [self.columns[self.column_index(k)] for k in self.chart_columns]
        return [c for c in self.columns if c.kind == "count"]


@dataclass
class Section:
    title: str  # translated
    tables: list[Table] = field(default_factory=list)
    intro: str = ""  # translated paragraph
    # a choropleth of {district ubigeo: count} (drawn in the PDF and the app) or None
    district_map: dict[str, int] | None = None
    map_title: str = ""


@dataclass
class ReportDocument:
    kind: ReportKind
    title: str  # translated
    period_from: dt.date
    period_to: dt.date
    scope: str  # translated: «Casa Vecinal 3» or «Consolidado: todas las casas»
    filters: list[str] = field(default_factory=list)  # translated descriptions of the filters
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # translated: method, sources, caveats
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(
        microsecond=0))
    personal: bool = False
    for_partners: bool = False  # small cells suppressed (see partner_view)
    casa_id: str | None = None  # the casa reported on (its letterhead heads the PDF)

    def tables(self) -> Iterator[Table]:
        for section in self.sections:
            yield from section.tables

    def table(self, key: str) -> Table:
        for table in self.tables():
            if table.key == key:
                return table
        raise KeyError(key)


def count_rows(labels: Sequence[tuple[Any, str]], counts: dict[Any, int],
               total: int | None = None) -> tuple[list[list[Any]], list[Any]]:
    """Rows ``[label, count, percent]`` for ``labels`` ((code, translated label), in order),
    and the totals row. Codes in ``counts`` not in ``labels`` are appended with their code as
    label; percentages are of ``total`` (default: the sum)."""
    known = [code for code, _label in labels]
    extra = [(code, str(code)) for code in sorted(counts, key=str) if code not in known]
    whole = sum(counts.values()) if total is None else total
    rows = []
    for code, label in [*labels, *extra]:
        n = int(counts.get(code, 0))
        rows.append([label, n, round(100.0 * n / whole, 1) if whole else 0.0])
    return rows, ["", whole, 100.0 if whole else 0.0]
