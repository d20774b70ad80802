"""The customer-asset report as an Excel workbook: a summary sheet and one sheet per table.

Cells keep their types (numbers as numbers with a display format, dates as dates), and
headers are in the reader's language. Text that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is neutralised:
written as a string cell with a leading apostrophe, so neither Excel nor a later CSV
round trip evaluates it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from formwork.value.catalog import CHURN_STATUSES, SEGMENTS
from formwork.value.report import AssetReport, Ratio

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PERCENT = "0.0%"
MONEY = "#,##0.00"
INTEGER = "#,##0"
DAY = "yyyy-mm-dd"
MAX_WIDTH = 60


def neutralise(text: str) -> str:
    """``text`` made safe for a spreadsheet cell: a leading formula character gets an
    apostrophe in front, so the cell stays text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def workbook_bytes(
    report: AssetReport, *, locale: str, owner_name: str | None, zone: ZoneInfo
) -> bytes:
    """The report as an .xlsx file (call inside a request: headers use its language)."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _("Summary")[:31]
    _summary(summary, report, owner_name, zone)
    if report.scheme is not None:
        _table(
            book.create_sheet(_("Tiers")[:31]),
            [
                _("Tier"),
                _("Customers"),
                _("Share of customers"),
                _("Revenue"),
                _("Share of revenue"),
            ],
            _tier_rows(report, locale),
            [None, INTEGER, PERCENT, MONEY, PERCENT],
        )
    _table(
        book.create_sheet(_("Pareto")[:31]),
        [_("Share of customers"), _("Share of revenue")],
        report.pareto,
        [PERCENT, PERCENT],
    )
    _table(
        book.create_sheet(_("CLV distribution")[:31]),
        [_("CLV from"), _("CLV to"), _("Customers")],
        [(b.low, b.high, b.count) for b in report.clv_buckets],
        [MONEY, MONEY, INTEGER],
    )
    _rfm(book.create_sheet(_("RFM")[:31]), report)
    _table(
        book.create_sheet(_("NPS")[:31]),
        [_("Month"), _("Responses"), _("Promoters"), _("Detractors"), _("NPS")],
        [(m.month, m.responses, m.promoters, m.detractors, m.nps) for m in report.nps_months],
        ["yyyy-mm", INTEGER, INTEGER, INTEGER, "0.0"],
    )
    _table(
        book.create_sheet(_("Churn warnings")[:31]),
        [_("Churn status"), _("Customers")],
        [(str(CHURN_STATUSES.get(k, k)), n) for k, n in report.churn.items()],
        [None, INTEGER],
    )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _summary(sheet: Worksheet, report: AssetReport, owner: str | None, zone: ZoneInfo) -> None:
    basis = _("predictive") if report.clv_basis == "predictive" else _("historical")
    computed = report.metrics_computed_at
    rows: list[tuple[str, Any, str | None]] = [
        (_("Period start"), report.period.start, DAY),
        (_("Period end"), report.period.end, DAY),
        (_("Record owner"), owner or _("All owners"), None),
        (_("Customers"), report.total_customers, INTEGER),
        (_("Total asset value (sum of CLV)"), report.asset_value, MONEY),
        (_("CLV basis"), basis, None),
        (_("Revenue in the period"), report.revenue, MONEY),
        (_("Orders in the period"), report.orders, INTEGER),
        (_("Customers who bought in the period"), report.buyers, INTEGER),
        (
            _("Revenue share of the top %(percent)s of customers", percent="20%"),
            report.top20_share,
            PERCENT,
        ),
        (_("Retention rate"), _rate(report.retention), PERCENT),
        (_("Activity rate"), _rate(report.activity), PERCENT),
        (_("Reactivation rate"), _rate(report.reactivation), PERCENT),
        (_("Customers at risk"), report.churn.get("at_risk", 0), INTEGER),
        (_("Dormant customers"), report.churn.get("dormant", 0), INTEGER),
        (_("NPS in the period"), report.nps_total.nps, "0.0"),
        (_("Survey responses"), report.nps_total.responses, INTEGER),
        (_("Follow-up completion"), _rate(report.follow_ups), PERCENT),
        (
            _("Figures computed at"),
            computed.astimezone(zone).replace(tzinfo=None) if computed else None,
            "yyyy-mm-dd hh:mm",
        ),
    ]
    _table(sheet, [_("Figure"), _("Value")], [(k, v) for k, v, _f in rows], [None, None])
    for index, (_k, _v, number_format) in enumerate(rows, start=2):
        if number_format:
            sheet.cell(index, 2).number_format = number_format


def _rate(ratio: Ratio | None) -> float | None:
    return ratio.value if ratio is not None else None


def _tier_rows(report: AssetReport, locale: str) -> list[tuple[Any, ...]]:
    customers = sum(t.customers for t in report.tiers)
    revenue = sum(t.revenue for t in report.tiers)
    rows = []
    for tier in report.tiers:
        name = tier.names.get(locale) or tier.names.get("en") or tier.key or _("No tier")
        rows.append(
            (
                name,
                tier.customers,
                tier.customers / customers if customers else None,
                tier.revenue,
                tier.revenue / revenue if revenue else None,
            )
        )
    return rows


def _rfm(sheet: Worksheet, report: AssetReport) -> None:
    header = [_("R score \\ F score"), *(str(f) for f in range(1, 6))]
    grid = [
        (r, *(report.rfm_cells.get(f"{r}{f}", 0) for f in range(1, 6))) for r in range(5, 0, -1)
    ]
    _table(sheet, header, grid, [INTEGER] * 6)
    start = len(grid) + 3
    segments = [
        (str(SEGMENTS.get(key, key)), report.segments.get(key, 0))
        for key in [*SEGMENTS, *(k for k in report.segments if k not in SEGMENTS)]
    ]
    _table(sheet, [_("Segment"), _("Customers")], segments, [None, INTEGER], first_row=start)


def _table(
    sheet: Worksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: Sequence[str | None],
    *,
    first_row: int = 1,
) -> None:
    for column, text in enumerate(header, start=1):
        cell = _put(sheet.cell(first_row, column), str(text))
        cell.font = Font(bold=True)
    for offset, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            cell = _put(sheet.cell(first_row + offset, column), value)
            number_format = formats[column - 1] if column - 1 < len(formats) else None
            if number_format and not isinstance(value, str):
                cell.number_format = number_format
    if first_row == 1:
        sheet.freeze_panes = "A2"
    _fit_columns(sheet)


def _put(cell: Cell, value: Any) -> Cell:
    """Write ``value`` with its type kept; text can never become a formula."""
    if isinstance(value, str):
        cell.value = neutralise(value)
        cell.data_type = "s"
    elif isinstance(value, datetime | date) or value is None or isinstance(value, int | float):
        cell.value = value
    else:  # Decimal and other numbers
        cell.value = float(value)
    return cell


def _fit_columns(sheet: Worksheet) -> None:
    widths: dict[str, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = cell.value if isinstance(cell.value, str) else _shown(cell.value)
            widths[cell.column_letter] = max(widths.get(cell.column_letter, 0), _width(text))
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = min(width + 2, MAX_WIDTH)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
