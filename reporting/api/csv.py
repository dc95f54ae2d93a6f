"""`?format=csv`: a report's table as a `text/csv` download."""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer

#: Cells starting with these are formulas to a spreadsheet; text cells get a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvTable:
    header: list[str]
    rows: list[list]
    filename: str


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_table(table: CsvTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows([_cell(value) for value in row] for row in table.rows)
    return out.getvalue()


class CSVRenderer(BaseRenderer):
    """Renders a CsvTable; anything else (an error answer) stays JSON problem details."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, CsvTable):
            return render_table(data).encode(self.charset)
        return JSONRenderer().render(data, renderer_context=renderer_context)


class ReportNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is a 400 naming the allowed values, not DRF's 404."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            allowed = ", ".join(renderer.format for renderer in renderers)
            raise ValidationError({"format": [f"Must be one of: {allowed}."]})
        return matching
