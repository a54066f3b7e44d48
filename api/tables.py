"""A table of indicators or figures as a CSV or XLSX download."""

import csv
import io

from fastapi import Response
from openpyxl import Workbook

from api.stats import COLUMNS

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export(rows: list[dict], fmt: str, name: str,
           columns: list[tuple[str, str]] = COLUMNS) -> Response:
    """`rows` as a file: one column per (key, Chinese label) of `columns` (the incident
    indicators by default), headed "label(key)", the first column (`group`) by its label."""
    header = [f"{zh}({key})" if key != "group" else zh for key, zh in columns]
    values = [[row[key] for key, _ in columns] for row in rows]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(values)
        body = ("\ufeff" + buf.getvalue()).encode()  # BOM: Excel opens Chinese CSV correctly
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = "指标"
        sheet.append(header)
        for line in values:
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
