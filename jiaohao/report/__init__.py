"""Report formats: the same figures (hall.reports.Report) as a terminal table, CSV, JSON,
an Excel workbook or one self-contained HTML page with charts."""
from __future__ import annotations

from pathlib import Path

from hall.reports import Report

FORMATS = ("table", "csv", "json", "xlsx", "html")
EXTENSIONS = {"table": ".txt", "csv": ".csv", "json": ".json", "xlsx": ".xlsx", "html": ".html"}


def render(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` as bytes (text formats in UTF-8; CSV with a BOM for Excel)."""
    if fmt == "table":
        from .table import render_table
        return render_table(report).encode("utf-8")
    if fmt == "csv":
        from .csvout import render_csv
        return render_csv(report).encode("utf-8-sig")
    if fmt == "json":
        import json
        return (json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "xlsx":
        from .xlsx import render_xlsx
        return render_xlsx(report)
    if fmt == "html":
        from .html import render_html
        return render_html(report).encode("utf-8")
    raise ValueError(f"没有报表格式 {fmt!r}，可选 {'、'.join(FORMATS)} "
                     f"(unknown report format {fmt!r}; choose one of {', '.join(FORMATS)})")


def default_filename(report: Report, fmt: str) -> str:
    span = report.date_from if report.date_from == report.date_to else f"{report.date_from}_{report.date_to}"
    return f"report-{span}-{report.by}{EXTENSIONS[fmt]}"


def write(report: Report, fmt: str, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(report, fmt))
    return path


__all__ = ["FORMATS", "render", "write", "default_filename"]
