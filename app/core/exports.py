"""Tables for download: CSV that opens right in Excel, and XLSX, neither of which a spreadsheet can run.

Every export goes through `table_response`, so the two rules hold everywhere:
- CSV is UTF-8 with a byte-order mark (without it Excel reads Cyrillic as Latin-1 garbage), and a
  text cell that a spreadsheet would take for a formula (starting with = + - @, a tab or a carriage
  return) is written with a leading apostrophe, as OWASP recommends against CSV injection;
- XLSX cells holding text are typed as text, so "=HYPERLINK(…)" is shown, never evaluated; numbers
  stay numbers in both formats.
"""
import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """A text cell a spreadsheet would evaluate gets a leading apostrophe; a float is written short (10, 12.5)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, float):
        return format(value, "g")
    return value


def csv_bytes(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    """The table as CSV: UTF-8 with a byte-order mark, formula-like text neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise("" if cell is None else cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(header: Sequence, rows: Iterable[Sequence], title: str = "Export") -> bytes:
    """The table as an XLSX workbook of one sheet, text typed as text."""
    from openpyxl import Workbook   # only when a workbook is asked for: it costs every worker megabytes
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Export")

    def cell(value):
        item = WriteOnlyCell(sheet, value=None if value is None else value)
        if isinstance(value, str):
            item.value = value
            item.data_type = "s"
        return item

    sheet.append([cell(value) for value in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_response(filename: str, header: Sequence, rows: Iterable[Sequence], fmt: str) -> Response:
    """A download of the table in `fmt` ('csv' or 'xlsx') named `filename` plus the format's extension."""
    if fmt == "xlsx":
        body, mimetype = xlsx_bytes(header, rows), XLSX_MIMETYPE
    else:
        body, mimetype = csv_bytes(header, rows), "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}.{"xlsx" if fmt == "xlsx" else "csv"}"'})
