"""好差评 over the hall API and RemoteHall: rating on a channel, 办件编号, follow-up
steps (managers only), export and indicators; the same answers as the local queue."""
from __future__ import annotations

from datetime import datetime

import pytest

from hall import FixedClock, HallQueue
from hall.errors import Forbidden, InvalidArgument
from tests.api_helpers import hall  # noqa: F401  (fixture)
from tests.remote_helpers import LiveHall


def served(queue, window=1, service="A", staff="1001"):
    queue.login(window, staff)
    t = queue.issue(service)
    queue.call_next(window)
    queue.finish(window)
    return t


def test_rate_over_the_api_with_idempotency(hall, queue):  # noqa: F811
    t = served(queue)
    c = hall.client(hall.device("win-1", "caller"))
    body = {"level": 5, "channel": "电话", "problems": ["服务态度差"], "text": "电话反映", "rater": "李四"}
    r1 = c.post(f"/api/v1/tickets/by-id/{t.id}/rating", json=body, headers={"Idempotency-Key": "k1"})
    r2 = c.post(f"/api/v1/tickets/by-id/{t.id}/rating", json=body, headers={"Idempotency-Key": "k1"})
    assert r1.status_code == 200, r1.text
    assert r1.json() == r2.json() and r2.headers.get("Idempotent-Replayed") == "true"
    assert (r1.json()["channel"], r1.json()["level_name"]) == ("phone", "非常不满意")
    assert queue._conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 1
    bad = c.post(f"/api/v1/tickets/by-id/{t.id}/rating", json={"level": 9, "channel": "qrcode"})
    assert bad.status_code == 400 and "满意度代码" in bad.json()["error"]["message"]
    got = c.get(f"/api/v1/tickets/by-id/{t.id}/rating").json()
    assert got["state"] == "rated" and got["followup"] is not None


def test_kiosk_and_screen_may_not_rate(hall, queue):  # noqa: F811
    t = served(queue)
    for role in ("kiosk", "screen"):
        r = hall.client(hall.device(f"d-{role}", role)).post(
            f"/api/v1/tickets/by-id/{t.id}/rating", json={"level": 1, "channel": "qrcode"})
        assert r.status_code == 403


def test_case_numbers_attach_and_export(hall, queue):  # noqa: F811
    t = served(queue)
    c = hall.client(hall.device("bizsys", "controller"))
    r = c.post(f"/api/v1/tickets/by-id/{t.id}/cases", json={"case_no": "11010520261123000001", "item_code": "000101001"})
    assert r.status_code == 200, r.text
    assert r.json()["cases"] == [{"case_no": "11010520261123000001", "item_code": "000101001", "source": "api"}]
    other = served(queue)
    r = c.post(f"/api/v1/tickets/by-id/{other.id}/cases", json={"case_no": "11010520261123000001"})
    assert r.status_code == 400 and "另一个号" in r.json()["error"]["message"]
    queue.rate_ticket(t.id, 2, "qrcode")
    mgr = hall.client(hall.device("ctl", "controller"))
    csv = mgr.get("/api/v1/ratings/export", params={"format": "csv"})
    assert csv.status_code == 200 and csv.text.startswith("\ufeff办件编号,评价渠道,评价人,评价时间,评价次数")
    js = mgr.get("/api/v1/ratings/export").json()
    assert js[0]["办件编号"] == "11010520261123000001" and js[0]["评价时间"] == "20261123T090000"


def test_followups_are_for_managers(hall, queue):  # noqa: F811
    t = served(queue)
    queue.rate(1, 2)  # 不满意
    hall.staff("9001", role="manager", password="manager-pass-1")
    login = hall.client().post("/api/v1/login", json={"staff": "9001", "password": "manager-pass-1"})
    mgr = hall.client(login.json()["token"])
    lst = mgr.get("/api/v1/followups").json()
    assert [(f["number"], f["level"], f["state"]) for f in lst] == [(t.number, 4, "待核实")]
    fid = lst[0]["id"]
    r = mgr.post(f"/api/v1/followups/{fid}/steps", json={"action": "verify", "note": "已电话联系"},
                 headers={"Idempotency-Key": "s1"})
    assert r.status_code == 200 and r.json()["state"] == "核实中"
    assert r.json()["steps"][-1]["by"] == "9001"
    refused = mgr.post(f"/api/v1/followups/{fid}/steps", json={"action": "call_back", "note": "x"})
    assert refused.status_code == 400 and "不能回访" in refused.json()["error"]["message"]
    caller = hall.client(hall.device("win-1", "caller"))
    assert caller.get("/api/v1/followups").status_code == 403
    assert caller.post(f"/api/v1/followups/{fid}/steps", json={"action": "rectify", "note": "x"}).status_code == 403


def test_indicators_route(hall, queue):  # noqa: F811
    served(queue)
    queue.rate(1, 5)
    served(queue)
    r = hall.client(hall.device("ctl", "controller")).get("/api/v1/ratings/indicators",
                                                          params={"month": "2026-11", "by": "window"})
    assert r.status_code == 200, r.text
    row = r.json()["rows"][0]
    assert (row["group"], row["cases"], row["rated"], row["好评率"], row["未评价率"]) == ("1", 2, 1, 1.0, 0.5)


def test_remote_hall_rates_as_the_queue_does(demo_config, tmp_path):
    start = datetime(2026, 11, 23, 9, 0)
    q = HallQueue(tmp_path / "served.sqlite", demo_config, FixedClock(start))
    local = HallQueue(tmp_path / "local.sqlite", demo_config, FixedClock(start))
    live = LiveHall(q)
    try:
        remote = live.remote("controller")
        results = []
        for h in (local, remote):
            t = served(h)
            got = [h.attach_case(t.id, "CASE-1", "0001", "caller"),
                   h.rate_ticket(t.id, 4, "qrcode", ["多次跑动"], "跑了三次")]
            try:
                h.rate_ticket(t.id, 7, "qrcode")
            except InvalidArgument as e:
                got.append(e.zh)
            info = h.ticket_rating(t.id)
            got.append((info["state"], info["can_rate"], [r["level"] for r in info["ratings"]]))
            results.append(got)
        for r in results:
            r[1].pop("at")
            r[1].pop("id")
        assert results[0] == results[1]
        with pytest.raises(Forbidden):
            live.remote("kiosk").rate_ticket(1, 1, "qrcode")
    finally:
        live.close()
        q.close()
        local.close()


def test_case_item_code_from_the_service_guide(hall, queue):  # noqa: F811
    from config import DEMO_HALL
    from config.guide import GuideFiles
    hall.app.state.guide = GuideFiles(DEMO_HALL.parent / "demo" / "guide", queue.config)
    t = served(queue)
    c = hall.client(hall.device("bizsys", "controller"))
    r = c.post(f"/api/v1/tickets/by-id/{t.id}/cases", json={"case_no": "G-1", "guide_code": "A02"})
    assert r.status_code == 200, r.text
    assert r.json()["cases"][0]["item_code"] == "000112015000"
    r = c.post(f"/api/v1/tickets/by-id/{t.id}/cases", json={"case_no": "G-2", "guide_code": "Z99"})
    assert r.status_code == 400 and "办事指南中没有事项 Z99" in r.json()["error"]["message"]
