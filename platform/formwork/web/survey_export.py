"""Exports of a survey's results: every response (CSV or an Excel workbook) and
the summary tables (NPS, per period, owner, segment, tier and question).

Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return first) is written with a leading apostrophe (``value.report_xlsx.neutralise``), in
the CSV as in the workbook; numbers stay numbers. The CSV starts with a UTF-8 BOM so that
Excel reads Chinese text correctly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook

from form_engine.dialect import label
from form_engine.fields import field_type
from formwork.services.form_runtime import FormRuntime
from formwork.services.survey_results import SurveyResults
from formwork.value.report_xlsx import neutralise

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
NUMERIC_KINDS = ("number", "integer")


@dataclass
class Table:
    """One table of the summary: a title, a header row and rows of plain values."""

    title: str
    header: list[str]
    rows: list[list[Any]]


def cell(value: Any) -> Any:
    """A value for a spreadsheet cell: numbers as they are, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def _columns(runtime: FormRuntime, locale: str) -> list[tuple[str, Any, Any]]:
    """(key, schema, field type) of every field that holds data, in form order."""
    return [
        (key, schema, kind)
        for key, schema, kind in runtime.compiled.fields
        if not kind.layout and key in runtime.kinds
    ]


def response_header(results: SurveyResults, locale: str) -> list[str]:
    fixed = [_("Response"), _("Submitted"), _("Customer"), _("Record owner")]
    return fixed + [
        label(schema, locale, key) for key, schema, _k in _columns(results.runtime, locale)
    ]


def response_rows(
    results: SurveyResults, locale: str, zone: ZoneInfo, members: dict[int, str]
) -> Iterator[list[Any]]:
    """Every response in scope, newest first, as cell values."""
    columns = _columns(results.runtime, locale)
    kinds = results.runtime.kinds
    for row in results.rows():
        data = row.data or {}
        values: list[Any] = [
            row.id,
            row.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            row.customer_name or (f"#{row.customer_id}" if row.customer_id else ""),
            members.get(row.owner_id, "") if row.owner_id else "",
        ]
        for key, schema, kind in columns:
            value = data.get(key)
            if (
                kinds[key] in NUMERIC_KINDS
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                values.append(value)
            elif value is None:
                values.append("")
            else:
                values.append(field_type(kind.key).format(value, locale, schema, tz=zone))
        yield [cell(v) for v in values]


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """A CSV download of ``header`` and ``rows``.

    Built whole before it is sent: the rows are read with a server-side cursor in the
    request's (short) transaction, which a streamed response would keep open for as long
    as the download takes.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([cell(h) for h in header])
    writer.writerows(rows)
    response = Response(buffer.getvalue(), mimetype=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def tables_csv(tables: Sequence[Table], filename: str) -> Response:
    """The summary tables one after the other, each under its title, in one CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([cell(table.title)])
        writer.writerow([cell(h) for h in table.header])
        writer.writerows([cell(v) for v in row] for row in table.rows)
    response = Response("\ufeff" + buffer.getvalue(), mimetype=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def workbook(tables: Sequence[Table]) -> bytes:
    """An .xlsx file with one sheet per table (write-only: rows are not kept in memory)."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        sheet.append([cell(h) for h in table.header])
        for row in table.rows:
            sheet.append([cell(v) for v in row])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique."""
    base = SHEET_NAME_BAD.sub(" ", title).strip()[:28] or "Sheet"
    name, number = base, 2
    while name.lower() in used:
        name = f"{base} {number}"
        number += 1
    used.add(name.lower())
    return name


def xlsx_response(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
