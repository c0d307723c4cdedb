"""好差评 records reach the city (cases, ratings, follow-ups and their steps) without the
rater, the text or the notes, and the city's indicators equal the hall's own."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest

from city.indicators import city_indicators
from city.schema import connect as city_connect
from city.schema import migrate
from city.ship import Shipper
from hall import FixedClock, HallQueue
from tests.city_helpers import city_cfg
from tests.pg_helpers import SUPER_PASSWORD, pg_cluster  # noqa: F401
from tests.ratings_helpers import ITEM_A, ratings_config, served

DAY = "2026-11-24"


def rated_hall(path, cfg, seed_levels):
    clock = FixedClock(datetime(2026, 11, 24, 9, 0))
    q = HallQueue(path, cfg, clock)
    tickets = []
    for i, (service, level, channel) in enumerate(seed_levels):
        window = {"A": 1, "C": 4, "E": 7}[service]
        t = served(q, window=window, service=service, staff=f"10{window:02d}")
        if level is not None:
            q.rate_ticket(t.id, level, channel, problems=["服务态度差"] if level >= 4 else (),
                          text="工作人员态度差，电话13800138000" if level >= 4 else "", rater="张老伯")
        tickets.append(t)
    q.attach_case(tickets[1].id, "BJ2026112400017", item_code="ITEM-CASE-7")
    return q, tickets


@pytest.fixture(scope="module")
def city(pg_cluster, tmp_path_factory):
    base = tmp_path_factory.mktemp("rated")
    cfg = ratings_config(base)
    a, b = base / "a.sqlite", base / "b.sqlite"
    qa, ta = rated_hall(a, cfg, [("A", 1, "qrcode"), ("A", 2, "mobile"), ("A", 5, "qrcode"), ("C", None, ""),
                                 ("C", 4, "phone"), ("E", 3, "terminal"), ("E", None, "")])
    fa = [f["id"] for f in qa.followups()]
    qa.followup_step(fa[0], "verify", "0517", "已电话联系张老伯 13800138000")
    qa.followup_step(fa[0], "done", "0517", "已整改")
    qa.followup_step(fa[0], "call_back", "0517", "满意")
    qa.followup_step(fa[1], "appeal", "0517", "恶意差评")
    qa.followup_step(fa[1], "approve_appeal", "9001", "申诉成立")
    qa.rate_ticket(ta[5].id, 5, "mobile")  # a 追加评价: the final level becomes 非常不满意
    qb, _ = rated_hall(b, cfg, [("A", 1, "web"), ("C", 2, "sms"), ("C", None, ""), ("E", 4, "qrcode")])
    url = pg_cluster.create_database("city_ratings")
    with city_connect(url) as conn:
        migrate(conn)
    for code, path in (("R-A", a), ("R-B", b)):
        s = Shipper(path, city_cfg(url, code), code, cfg.services, cfg.windows, password=SUPER_PASSWORD)
        s.ship()
        s.close()
    yield url, {"R-A": qa, "R-B": qb}
    qa.close(), qb.close()


def test_ratings_follow_ups_and_cases_are_shipped(city):
    url, queues = city
    with city_connect(url) as pg:
        n = {t: pg.execute(f"SELECT count(*) FROM city.{t} WHERE hall_code = 'R-A'").fetchone()[0]
             for t in ("ratings", "followups", "followup_steps", "cases")}
        hall = queues["R-A"]._conn if hasattr(queues["R-A"], "_conn") else None  # noqa: F841
        import sqlite3
        h = sqlite3.connect(queues["R-A"].path)
        expected = {t: h.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("ratings", "followups", "followup_steps", "cases")}
        h.close()
        assert n == expected and n["followup_steps"] >= 5 and n["ratings"] == 6
        states = dict(pg.execute("SELECT id, state FROM city.followups WHERE hall_code = 'R-A'").fetchall())
        assert sorted(states.values()) == ["appeal_approved", "called_back", "pending"]
        levels = pg.execute("SELECT seq, level, channel, has_text FROM city.ratings WHERE hall_code = 'R-A' "
                            "ORDER BY id").fetchall()
        assert (2, 5, "mobile", False) in levels and (1, 5, "qrcode", True) in levels
        dump = "".join(str(r) for t in ("ratings", "followups", "followup_steps", "cases")
                       for r in pg.execute(f"SELECT * FROM city.{t}").fetchall())
    for secret in ("张老伯", "13800138000", "工作人员态度差", "0517", "9001", "恶意"):
        assert secret not in dump


@pytest.mark.parametrize("by", ["hall", "department", "item"])
def test_city_indicators_equal_the_halls_own(city, by):
    url, queues = city
    with city_connect(url) as pg:
        rows = city_indicators(pg, DAY, DAY, by)
    counts = ("cases", "rated", "unrated", "good", "bad", "followups", "appeals_approved", "rectified", "called_back")
    own = {code: q.rating_indicators(datetime(2026, 11, 24).date(), datetime(2026, 11, 24).date(), by)
           for code, q in queues.items()}
    if by == "hall":
        assert [r["group"] for r in rows] == ["R-A", "R-B"]
        for r in rows:
            (mine,) = own[r["group"]]
            assert {k: r[k] for k in counts} == {k: mine[k] for k in counts}
            for rate in ("好评率", "差评率", "未评价率", "主动评价好评率", "整改率", "回访率"):
                assert r[rate] == mine[rate], rate
        a = rows[0]
        assert (a["cases"], a["rated"], a["bad"], a["followups"], a["appeals_approved"]) == (7, 5, 3, 3, 1)
        assert a["整改率"] == 0.5 and a["回访率"] == 0.5
    else:
        summed: dict = {}
        for rows_ in own.values():
            for r in rows_:
                g = summed.setdefault(r["group"], dict.fromkeys(counts, 0))
                for k in counts:
                    g[k] += r[k]
        assert {r["group"]: {k: r[k] for k in counts} for r in rows} == summed
        if by == "item":
            assert ITEM_A in summed and "ITEM-CASE-7" in summed


def test_the_indicators_command(city):
    url, _ = city
    bare = url.replace(f":{SUPER_PASSWORD}@", "@")
    env = {**os.environ, "JIAOHAO_CITY_PASSWORD": SUPER_PASSWORD}
    r = subprocess.run([sys.executable, "-m", "jiaohao", "city", "indicators", bare, "--month", "2026-11",
                        "--format", "json"], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [row["group"] for row in doc["rows"]] == ["R-A", "R-B"] and doc["from"] == "2026-11-01"
    r = subprocess.run([sys.executable, "-m", "jiaohao", "city", "indicators", bare, "--month", "2026-11"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0 and "好评率" in r.stdout and "R-A" in r.stdout


def test_the_city_report_carries_the_indicators(city):
    """`jiaohao report --city` has the 好差评 indicators as the hall's report does: the
    city's row, and one per hall when grouped by hall."""
    from city.report import build_city_report
    from hall.reports import build_report
    url, queues = city
    with city_connect(url, autocommit=True) as pg:
        rep = build_city_report(pg, DAY, DAY, "hall")
    doc = rep.to_json()
    assert doc["rating_indicators"]["cases"] == 11 and doc["rating_indicators"]["bad"] == 4
    assert [r["group"] for r in doc["rating_indicator_rows"]] == ["R-A", "R-B"]
    own = build_report(queues["R-A"].path, DAY, DAY, "service").rating_indicators
    mine = doc["rating_indicator_rows"][0]
    assert {k: mine[k] for k in own if k != "group"} == {k: own[k] for k in own if k != "group"}
    from jiaohao.report import render
    assert "好差评指标" in render(rep, "html").decode()


@pytest.mark.parametrize("by", ["hall", "department", "service"])
def test_the_day_columns_give_the_indicators_the_sql_gives(city, by):
    from city.report import build_city_report
    url, _ = city
    with city_connect(url, autocommit=True) as pg:
        fast = build_city_report(pg, DAY, DAY, by, engine="columns").to_json()
        sql = build_city_report(pg, DAY, DAY, by, engine="sql").to_json()
    fast.pop("generated_at"), sql.pop("generated_at")
    assert fast["rating_indicators"]["followups"] == 4
    assert fast == sql
