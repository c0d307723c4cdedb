"""The GB/T 39046-2020 export, field by field, through `jiaohao ratings export` as a
technician runs it; the follow-ups list of the Contract."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime

import pytest

from hall import FixedClock, HallQueue
from hall.rating_export import TABLE9
from tests.ratings_helpers import ITEM_A, REGION, ratings_toml, served
from config import load_hall


@pytest.fixture
def hall_files(tmp_path):
    toml = ratings_toml(tmp_path)
    db = tmp_path / "hall.sqlite"
    clock = FixedClock(datetime(2026, 11, 23, 9, 0))
    q = HallQueue(db, load_hall(toml), clock)
    a = served(q)                                       # A001, case number attached, evaluator 5 → level 1
    q.attach_case(a.id, "110105202611230001", source="api")
    clock.set(datetime(2026, 11, 23, 9, 5, 7))
    q.rate(1, 5)
    b = served(q, service="B")                          # B001: phone page, 不满意 with problems and text
    clock.set(datetime(2026, 11, 23, 10, 30, 0))
    q.rate_ticket(b.id, 4, "qrcode", ["办事效率低"], "等了一个小时, 还要\"再来\"", rater="王五")
    c = served(q)                                       # A002: nobody rated (未评价)
    clock.set(datetime(2026, 11, 25, 16, 0, 1))         # two days later: 追加评价 of A001
    q.rate_ticket(a.id, 2, "移动服务端", text="补充：后来很顺利")
    q.close()
    return toml, db, (a, b, c)


def jiaohao(toml, db, *args):
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_CONFIG": str(toml), "JIAOHAO_NOW": "2026-11-26T09:00:00"}
    p = subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_gbt39046_csv_field_by_field(hall_files):
    toml, db, (a, b, c) = hall_files
    out = jiaohao(toml, db, "ratings", "export", "--format", "gbt39046")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度", "满意度代码", "文字评价", "行政区划"]
    assert rows[1:] == [
        ["110105202611230001", "政务大厅其他终端", "匿名", "20261123T090507", "1", "非常满意", "1", "", REGION],
        [f"JH{REGION}20261123B001", "二维码", "王五", "20261123T103000", "1", "不满意", "4",
         "等了一个小时, 还要\"再来\"", REGION],
        ["110105202611230001", "移动服务端", "匿名", "20261125T160001", "2", "满意", "2", "补充：后来很顺利", REGION],
    ]
    for r in rows[1:]:
        assert re.fullmatch(r"\d{8}T\d{6}", r[3]) and r[6] in "12345" and len(r[8]) in (6, 9, 12)


def test_export_range_file_json_and_unrated(hall_files, tmp_path):
    toml, db, (a, b, c) = hall_files
    target = tmp_path / "out" / "nov23.csv"
    jiaohao(toml, db, "ratings", "export", "--format", "gbt39046", "--from", "2026-11-23", "--to", "2026-11-23",
            "-o", str(target))
    data = target.read_bytes()
    assert data.startswith("\ufeff".encode()) and data.count(b"\r\n") == 3  # header + the two ratings of the 23rd
    items = json.loads(jiaohao(toml, db, "ratings", "export", "--format", "full", "--json", "--unrated"))
    assert [list(i)[:9] for i in items] == [TABLE9] * 4
    unrated = items[-1]
    assert (unrated["办件编号"], unrated["满意度"], unrated["满意度代码"], unrated["评价次数"]) == \
        (f"JH{REGION}20261123A002", "未评价", "", 0)
    assert items[0]["事项编码"] == ITEM_A and items[1]["问题选项"] == "办事效率低"
    assert (items[0]["窗口"], items[0]["工号"], items[0]["部门"]) == (1, "1001", "区人社局")


def test_followups_json_contract(hall_files):
    toml, db, (a, b, c) = hall_files
    lst = json.loads(jiaohao(toml, db, "ratings", "follow-ups", "--json"))
    assert len(lst) == 1
    f = lst[0]
    assert {k: f[k] for k in ("number", "level", "state", "callback_due", "rectify_due")} == \
        {"number": b.number, "level": 4, "state": "待核实", "callback_due": "2026-11-24", "rectify_due": "2026-12-14"}
    # on the 26th the call-back deadline (the 24th) has passed
    assert f["overdue"] and f["deadline"] == "callback"
    assert json.loads(jiaohao(toml, db, "ratings", "follow-ups", "--overdue", "--json"))[0]["id"] == f["id"]
    table = jiaohao(toml, db, "ratings", "follow-ups")
    assert "B001" in table and "逾期" in table


def test_bad_dates_say_which_option(hall_files):
    toml, db, _ = hall_files
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_CONFIG": str(toml)}
    p = subprocess.run([sys.executable, "-m", "jiaohao", "ratings", "export", "--from", "2026-13-01"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode != 0 and "--from" in p.stderr and "Traceback" not in p.stderr


def test_staff_enter_a_telephone_rating_and_a_case(hall_files):
    toml, db, (a, b, c) = hall_files
    env_day = ("--day", "2026-11-23")
    out = json.loads(jiaohao(toml, db, "ratings", "rate", c.number, "5", *env_day, "--problem", "服务态度差",
                             "--text", "电话投诉", "--json"))
    assert (out["channel"], out["level"], out["followup"] is not None) == ("phone", 5, True)
    assert "C-77" in jiaohao(toml, db, "ratings", "case", c.number, "C-77", *env_day)
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_CONFIG": str(toml), "JIAOHAO_NOW": "2026-11-26T09:00:00"}
    assert "第 2 次评价" in jiaohao(toml, db, "ratings", "rate", c.number, "1", *env_day)  # the 追加评价
    p = subprocess.run([sys.executable, "-m", "jiaohao", "ratings", "rate", c.number, "1", *env_day],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode != 0 and "Traceback" not in p.stderr and "不能再评价" in p.stderr
