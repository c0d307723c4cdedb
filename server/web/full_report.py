"""The hall's full HTML report (charts and all, `jiaohao report --format html`) in the
managers' browser: /manage/reports/full. server/ does not import the command line
(jiaohao/), so the page runs the report command itself, on the hall's own database and
configuration, and serves what it writes. A report of a month takes a second or two."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from hall.reports import GROUPINGS

from .login import page_user
from .render import error_page

router = APIRouter(prefix="/manage", include_in_schema=False)
REPORT_TIMEOUT_S = 120
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


@router.get("/reports/full")
def full_report(request: Request, user=Depends(page_user("manage")),
                day_from: str | None = Query(None, pattern=DAY_PATTERN),
                day_to: str | None = Query(None, pattern=DAY_PATTERN), by: str = "service") -> Response:
    s = request.app.state
    today = s.queue.clock().date().isoformat()
    day_from = day_from or today
    day_to = day_to or day_from
    if by not in GROUPINGS or date.fromisoformat(day_to) < date.fromisoformat(day_from):
        return error_page(request, 400, "日期或分组不对", "Wrong dates or grouping")
    with tempfile.TemporaryDirectory(prefix="jiaohao-report-") as tmp:
        config = Path(tmp) / "hall.toml"
        config.write_text(s.config_text, encoding="utf-8")
        out = Path(tmp) / "report.html"
        env = {**os.environ, "JIAOHAO_CONFIG": str(config), "JIAOHAO_DB": str(s.queue.path)}
        try:
            done = subprocess.run([sys.executable, "-m", "jiaohao", "report", "--from", day_from, "--to", day_to,
                                   "--by", by, "--format", "html", "-o", str(out)],
                                  env=env, capture_output=True, text=True, timeout=REPORT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return error_page(request, 504, "报表生成超时，请缩短日期范围", "The report took too long; ask for fewer days")
        if done.returncode != 0 or not out.exists():
            why = (done.stderr.strip().splitlines() or ["?"])[-1][:300]
            return error_page(request, 500, f"报表未能生成：{why}", f"The report could not be made: {why}")
        return HTMLResponse(out.read_text(encoding="utf-8"), headers={"Cache-Control": "no-store"})
