"""Every report format produced from the hand-built day, read back and checked for its figures."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from config import DEMO_HALL
from hall.reports import GROUPINGS, report_for_queue
from jiaohao.report import FORMATS, default_filename, render, write

from .report_day import DAY1, DAY2, build_day


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("report-formats") / "hall.sqlite"
    q, _ = build_day(path)
    yield q
    q.close()


@pytest.fixture(scope="module")
def report(built):
    return report_for_queue(built, DAY1, DAY1, "service")


@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_for_every_grouping(built, fmt, by, tmp_path):
    r = report_for_queue(built, DAY1, DAY2, by)
    path = write(r, fmt, tmp_path / default_filename(r, fmt))
    assert path.name == f"report-{DAY1}_{DAY2}-{by}{Path(path).suffix}"
    assert path.stat().st_size > 200


def test_table(report):
    text = render(report, "table").decode()
    assert "瑶海区政务服务中心 业务统计报表" in text and "按事项统计" in text
    total = next(line for line in text.splitlines() if line.startswith("合计"))
    # issued, served, no-shows, transfers, expired, wait mean/p90/max, handling mean/p90, rated, rate
    assert total.split() == ["合计", "8", "4", "1", "2", "3", "33.3", "55.0", "55.0", "13.0", "20.0", "3", "66.7%"]
    assert "C 不动产登记" in text


def test_csv(report):
    data = render(report, "csv")
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the BOM
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    total = table[-1]
    assert (total["名称"], total["取号"], total["办结"], total["过号"], total["满意率(%)"]) == ("合计", "8", "4", "1", "66.67")
    assert (total["平均等候(分)"], total["P90办理(分)"], total["限号拒号"], total["打印失败"]) == ("33.33", "20.0", "1", "1")
    a = next(row for row in table if row["编号"] == "A")
    assert (a["取号"], a["作废"], a["非办理时段拒号"]) == ("2", "1", "1")


def test_json(report):
    obj = json.loads(render(report, "json"))
    assert (obj["from"], obj["to"], obj["days"], obj["by"]) == (DAY1, DAY1, 1, "service")
    t = obj["total"]
    assert (t["issued"], t["served"], t["rated"], t["satisfaction"]) == (8, 4, 3, 0.6667)
    assert t["wait"] == {"n": 6, "mean_s": 2000.0, "p90_s": 3300.0, "max_s": 3300.0}
    assert t["refused"] == {"cap": 1, "hours": 1, "printer": 1, "total": 3}
    assert obj["arrivals_by_hour"] == {"08": 4, "10": 3, "11": 1}
    assert [r["key"] for r in obj["rows"]] == ["A", "B", "C", "D", "E", "H"]


def test_xlsx(report, tmp_path):
    path = write(report, "xlsx", tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["汇总", "明细", "时段到达", "事项等候"]
    summary = {row[0]: row[2] for row in wb["汇总"].iter_rows(min_row=4, values_only=True) if row and row[0]}
    assert (summary["取号（张）"], summary["办结（件）"], summary["过号"], summary["转办（次）"]) == (8, 4, 1, 2)
    assert summary["平均等候（分钟）"] == pytest.approx(33.33)
    assert summary["满意率"] == pytest.approx(2 / 3)
    assert (summary["非常满意"], summary["不满意"], summary["限号拒号"]) == (1, 1, 1)
    detail = list(wb["明细"].iter_rows(values_only=True))
    head = detail[0]
    total = dict(zip(head, detail[-1]))
    assert (total["名称"], total["取号"], total["办理人次"], total["平均办理(分)"]) == ("合计", 8, 5, 13.0)
    assert [r[0] for r in detail[2:-1]] == ["A", "B", "C", "D", "E", "H"]
    assert [list(r) for r in wb["时段到达"].iter_rows(min_row=2, values_only=True)] == \
        [["08:00-09:00", 4], ["10:00-11:00", 3], ["11:00-12:00", 1]]


class _Page(HTMLParser):
    """Collects what the report page shows: cards, table cells, chart bars, outside links."""

    def __init__(self):
        super().__init__()
        self.cards, self.cells, self.bars, self.external, self.scripts = {}, {}, [], [], 0
        self._card = self._cell = None
        self._row = None
        self._in_v = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            if a.get(k, "").startswith(("http", "//")):
                self.external.append(a[k])
        if "data-figure" in a:
            self._card = a["data-figure"]
        if a.get("class") == "v" and self._card:
            self._in_v = True
        if tag == "tr" and "data-key" in a:
            self._row = a["data-key"]
        if tag == "td" and "data-col" in a:
            self._cell = (self._row, a["data-col"])
        if tag == "rect" and ("data-value" in a or "data-mean-min" in a):
            self.bars.append(a)

    def handle_data(self, data):
        if self._in_v and data.strip():
            self.cards[self._card] = data.strip()
            self._in_v = False
            self._card = None
        if self._cell and data.strip():
            self.cells[self._cell] = data.strip()
            self._cell = None


def test_html(report, tmp_path):
    text = render(report, "html").decode()
    page = _Page()
    page.feed(text)
    assert page.scripts == 0 and page.external == []  # one self-contained file
    assert '<meta name="viewport"' in text
    assert page.cards["issued"] == "8" and page.cards["served"] == "4"
    assert page.cards["wait_mean"] == "33.3" and page.cards["satisfaction"] == "66.7%"
    assert page.cards["refused"] == "3"
    assert page.cells[("all", "issued")] == "8" and page.cells[("all", "satisfaction")] == "66.7%"
    assert page.cells[("C", "no_show")] == "1" and page.cells[("A", "transfers")] == "1"
    assert page.cells[("E", "wait_p90")] == "55.0"
    hours = {b["data-hour"]: b["data-value"] for b in page.bars if "data-hour" in b}
    assert hours == {"8": "4", "9": "0", "10": "3", "11": "1"}
    waits = {b["data-service"]: b["data-mean-min"] for b in page.bars if "data-service" in b}
    assert waits == {"A": "32.5", "B": "5.0", "C": "55.0", "E": "37.5"}
    scores = {b["data-score"]: b["data-value"] for b in page.bars if "data-score" in b}
    assert scores == {"5": "1", "4": "1", "3": "0", "2": "1", "1": "0"}


def test_html_empty_day(built):
    r = report_for_queue(built, "2026-12-01", "2026-12-01")
    text = render(r, "html").decode()
    assert "没有取号记录" in text and "暂无评价" in text


# -- the command ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_env(built, tmp_path_factory):
    cfg = tmp_path_factory.mktemp("cfg") / "hall.toml"
    cfg.write_text(Path(DEMO_HALL).read_text(encoding="utf-8").replace("daily_cap = 60", "daily_cap = 1"),
                   encoding="utf-8")
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "JIAOHAO_DB": built.path, "JIAOHAO_CONFIG": str(cfg),
           "JIAOHAO_NOW": "2026-11-24T09:00:00",
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    return env


def jiaohao(env, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, env=env, timeout=60,
                          cwd=cwd)


def test_cli_default_is_today_as_a_table(cli_env):
    p = jiaohao(cli_env, "report")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert DAY2 in out and "按事项统计" in out
    assert next(line for line in out.splitlines() if line.startswith("合计")).split()[1:3] == ["1", "1"]


def test_cli_to_alone_is_that_day(cli_env):
    p = jiaohao(cli_env, "report", "--to", DAY1, "--format", "json")
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)
    assert (obj["from"], obj["to"], obj["total"]["issued"]) == (DAY1, DAY1, 8)


def test_cli_json_range_by_window(cli_env):
    p = jiaohao(cli_env, "report", "--from", DAY1, "--to", DAY2, "--by", "window", "--format", "json")
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)
    assert obj["days"] == 2 and obj["total"]["issued"] == 9
    assert {r["key"]: r["served"] for r in obj["rows"]} == {"1": 3, "4": 1, "7": 1}


def test_cli_month_files(cli_env, tmp_path):
    p = jiaohao(cli_env, "report", "--month", "2026-11", "--format", "xlsx", "--output", str(tmp_path))
    assert p.returncode == 0, p.stderr
    path = tmp_path / "report-2026-11-01_2026-11-30-service.xlsx"
    assert path.exists() and str(path) in p.stdout.decode()
    assert p.stdout.decode().startswith(f"已写出 {path}（") and f" (wrote {path} (" in p.stdout.decode()
    p = jiaohao(cli_env, "report", "--from", "yesterday", "--format", "html", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / f"report-{DAY1}-service.html").exists()


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-13-01"], "not a date"),
    (["--from", DAY2, "--to", DAY1], "after"),
    (["--month", "2026-11", "--from", DAY1], "either --month"),
    (["--month", "November"], "not a month"),
])
def test_cli_errors_are_one_line(cli_env, args, message):
    p = jiaohao(cli_env, "report", *args)
    assert p.returncode == 2
    err = p.stderr.decode()
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_missing_database(cli_env, tmp_path):
    p = jiaohao({**cli_env, "JIAOHAO_DB": str(tmp_path / "none.sqlite")}, "report")
    assert p.returncode == 2 and "no queue database" in p.stderr.decode()
