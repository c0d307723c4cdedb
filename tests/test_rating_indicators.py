"""好差评 indicators on hand-built cases with known answers: per hall, department,
window, staff and item; the monthly export; the same figures in `jiaohao report`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime

import pytest

from hall import FixedClock, HallQueue
from hall.reports import build_report
from tests.ratings_helpers import ITEM_A, ratings_config, ratings_toml, served

DAY = date(2026, 11, 23)


@pytest.fixture
def q(tmp_path):
    ratings_toml(tmp_path)
    clock = FixedClock(datetime(2026, 11, 23, 9, 0))
    queue = HallQueue(tmp_path / "hall.sqlite", ratings_config(tmp_path), clock)
    step = lambda fid, *actions: [queue.followup_step(fid, a, "9001", "说明") for a in actions]  # noqa: E731
    # window 1 (区人社局), staff 1001
    t1 = served(queue, 1, "A", "1001"); queue.rate_ticket(t1.id, 1, "qrcode")               # good
    t2 = served(queue, 1, "A", "1001"); f2 = queue.rate_ticket(t2.id, 5, "qrcode")["followup"]
    step(f2, "verify", "rectify", "done", "call_back")                                      # rectified, called back
    served(queue, 1, "B", "1001")                                                           # 未评价
    t4 = served(queue, 1, "A", "1001"); queue.rate_ticket(t4.id, 2, "qrcode")
    f4 = queue.rate_ticket(t4.id, 4, "mobile")["followup"]                                 # 追加评价: final bad
    step(f4, "appeal", "approve_appeal")                                                    # 申诉成立
    # window 2 (区人社局), staff 3003
    t9 = served(queue, 2, "A", "3003"); queue.rate(2, 5)                                    # evaluator: good
    # window 4 (区不动产登记中心), staff 2002
    t5 = served(queue, 4, "C", "2002"); queue.rate_ticket(t5.id, 3, "terminal")             # good
    t6 = served(queue, 4, "C", "2002"); f6 = queue.rate_ticket(t6.id, 4, "phone")["followup"]
    step(f6, "verify", "done")                                                              # rectified, not called back
    served(queue, 4, "C", "2002")                                                           # 未评价
    served(queue, 4, "C", "2002"); queue.rate(4, 2)                                         # 差评, pending
    clock.set(datetime(2026, 11, 24, 9, 0))                                                 # the next day: outside
    t10 = served(queue, 1, "A", "1001"); queue.rate_ticket(t10.id, 5, "qrcode")
    yield queue
    queue.close()


def pick(rows, group):
    return next(r for r in rows if r["group"] == group)


RATES = ("好评率", "差评率", "未评价率", "主动评价好评率", "整改率", "回访率")


def rates(row):
    return tuple(row[k] for k in RATES)


def test_hall(q):
    [row] = q.rating_indicators(DAY, DAY, "hall")
    assert {k: row[k] for k in ("cases", "rated", "unrated", "good", "bad", "followups", "appeals_approved",
                                "rectified", "called_back")} == \
        dict(cases=9, rated=7, unrated=2, good=3, bad=4, followups=4, appeals_approved=1, rectified=2, called_back=1)
    assert rates(row) == (0.4286, 0.5714, 0.2222, 0.3333, 0.6667, 0.3333)


def test_department(q):
    rows = q.rating_indicators(DAY, DAY, "department")
    assert [r["group"] for r in rows] == sorted(["区人社局", "区不动产登记中心"])
    assert rates(pick(rows, "区人社局")) == (0.5, 0.5, 0.2, 0.4, 1.0, 1.0)
    assert rates(pick(rows, "区不动产登记中心")) == (0.3333, 0.6667, 0.25, 0.25, 0.5, 0.0)


def test_window_and_staff(q):
    w = q.rating_indicators(DAY, DAY, "window")
    assert rates(pick(w, "1")) == (0.3333, 0.6667, 0.25, 0.25, 1.0, 1.0)
    assert rates(pick(w, "2")) == (1.0, 0.0, 0.0, 1.0, None, None)  # no 差评: no follow-up rates
    s = q.rating_indicators(DAY, DAY, "staff")
    assert [r["group"] for r in s] == ["1001", "2002", "3003"]
    assert rates(pick(s, "2002")) == (0.3333, 0.6667, 0.25, 0.25, 0.5, 0.0)


def test_item(q):
    rows = q.rating_indicators(DAY, DAY, "item")
    assert rates(pick(rows, ITEM_A)) == (0.5, 0.5, 0.0, 0.5, 1.0, 1.0)
    b = pick(rows, "B")  # a service without an item code: its service code
    assert (b["cases"], b["rated"]) == (1, 0) and rates(b)[:4] == (None, None, 1.0, 0.0)


def test_report_carries_the_hall_row(q):
    report = build_report(q.path, DAY, DAY, "service").to_json()
    assert rates(report["rating_indicators"]) == (0.4286, 0.5714, 0.2222, 0.3333, 0.6667, 0.3333)
    from jiaohao.report import render
    html = render(build_report(q.path, DAY, DAY, "service"), "html").decode()
    assert "好差评指标" in html and "42.9%" in html


def test_monthly_export(q, tmp_path):
    env = {**os.environ, "JIAOHAO_DB": q.path, "JIAOHAO_CONFIG": str(tmp_path / "hall.toml"),
           "JIAOHAO_NOW": "2026-11-30T18:00:00"}

    def run(*args):
        p = subprocess.run([sys.executable, "-m", "jiaohao", "ratings", "indicators", *args], capture_output=True,
                           text=True, env=env, timeout=60)
        assert p.returncode == 0, p.stderr
        return p.stdout
    month = json.loads(run("--month", "2026-11", "--by", "hall", "--format", "json"))
    assert (month["from"], month["to"]) == ("2026-11-01", "2026-11-30")
    assert month["rows"][0]["cases"] == 10 and month["rows"][0]["bad"] == 5  # the 24th's 差评 too
    out = tmp_path / "nov.csv"
    run("--by", "department", "--format", "csv", "-o", str(out))  # this month by default
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].endswith("好评率,差评率,未评价率,主动评价好评率,整改率,回访率")
    assert "区人社局" in text
    assert "未评价率" in run("--month", "2026-11")


@pytest.mark.parametrize("by, group, expected", [
    ("window", "1", (0.3333, 0.6667, 0.25, 0.25, 1.0, 1.0)),
    ("staff", "2002", (0.3333, 0.6667, 0.25, 0.25, 0.5, 0.0)),
    ("department", "区人社局", (0.5, 0.5, 0.2, 0.4, 1.0, 1.0)),
])
def test_report_rows_per_grouping(q, tmp_path, by, group, expected):
    report = build_report(q.path, DAY, DAY, by)
    rows = report.to_json()["rating_indicator_rows"]
    assert rates(pick(rows, group)) == expected
    assert sum(r["cases"] for r in rows) == 9  # the rows add up to the hall
    from jiaohao.report import render
    html = render(report, "html").decode()
    assert 'class="indicator-rows"' in html and group in html
    assert build_report(q.path, DAY, DAY, "service").to_json()["rating_indicator_rows"] is None
    if by == "department":
        (tmp_path / "report.html").write_text(html, encoding="utf-8")
