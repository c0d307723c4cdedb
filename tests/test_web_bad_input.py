"""Hostile input on the browser pages (server/web/) built after #19: the booking form, the
window rating tablet, /manage and its limits form. Each answer is a 4xx page in
Chinese (HTML for a form or a browser, JSON only under /api/v1), never a 500, and
nothing with control characters is stored. In-process app, real queue."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from hall import FixedClock, HallQueue
from tests.api_helpers import Hall
from tests.booking_helpers import booking_hall, valid_id

PAGE = {"X-Jiaohao-Page": "1"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CONTROL = "张\x00三\x1b[31m\u202e"  # NUL, an ESC sequence (a printer command), a right-to-left override


@pytest.fixture
def hall(tmp_path):
    cfg = booking_hall(tmp_path, capacity=3)[1]
    h = Hall(HallQueue(tmp_path / "hall.sqlite", cfg, FixedClock(datetime(2026, 11, 23, 10, 0))))
    h.staff("9001", "manager", "manager-pass-1", "王经理")
    yield h
    h.close()
    h.queue.close()


def chinese_page(r, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html"), r.text[:300]
    assert re.search(r"[\u4e00-\u9fff]", r.text) and "Traceback" not in r.text


def booking_form(web) -> dict:
    r = web.get("/book/A/2026-11-24/0930")
    fid = re.search(r'name="form_id" value="([^"]+)"', r.text).group(1)
    return {"name": "张三", "mobile": "13800130001", "id_number": valid_id(1), "form_id": fid}


@pytest.mark.parametrize("field, value", [("name", "字" * 10_000), ("mobile", "1" * 10_000),
                                          ("id_number", "X" * 10_000), ("form_id", "f" * 10_000)])
def test_a_huge_booking_field_is_a_chinese_page_not_json(hall, field, value):
    web = hall.client()
    chinese_page(web.post("/book/A/2026-11-24/0930", data={**booking_form(web), field: value}), 422)
    assert hall.queue.bookings_on("2026-11-24") == []


def test_a_name_with_control_characters_is_not_booked(hall):
    web = hall.client()
    r = web.post("/book/A/2026-11-24/0930", data={**booking_form(web), "name": CONTROL})
    chinese_page(r, 400)
    assert "姓名中含有无法显示的字符" in r.text and hall.queue.bookings_on("2026-11-24") == []


@pytest.mark.parametrize("data", [{"code": "c" * 10_000, "mobile": "13800130001"}, {"code": CONTROL, "mobile": CONTROL}])
def test_look_up_and_cancel_with_bad_values_are_pages(hall, data):
    web = hall.client()
    for path in ("/book/mine", "/book/cancel"):
        r = web.post(path, data=data)
        assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("text/html"), (path, r.text[:200])


def login(hall):
    web = hall.client()
    r = web.post("/login", data={"staff": "9001", "password": "manager-pass-1"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:200]
    return web


@pytest.mark.parametrize("query", ["day=2026-02-30", "day=9999-12-31", "day=0001-01-01"])
@pytest.mark.parametrize("path", ["/manage/reports", "/manage/alarms", "/manage/actions"])
def test_manage_pages_refuse_days_that_do_not_exist(hall, path, query):
    r = login(hall).get(f"{path}?{query}", headers=BROWSER)  # 2026-02-30 was a 500 on the reports page
    chinese_page(r, 422)
    assert "没有这一天" in r.text


def limit(web, body: str, headers=PAGE):
    return web.put("/api/v1/limits", content=body, headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("body, words", [
    ('{"field": "max_waiting", "value": true, "reason": "测试原因"}', "排队人数上限须为数字"),
    ('{"field": "max_waiting", "value": NaN, "reason": "测试原因"}', "不超过 100000"),
    ('{"field": "max_wait_minutes", "value": Infinity, "reason": "测试原因"}', "不超过 1440"),
    ('{"field": "max_waiting", "value": 5, "reason": "\\u0000\\u001b[2J"}', "原因中含有无法显示的字符"),
])
def test_the_limits_form_refuses_what_it_cannot_keep(hall, body, words):
    web = login(hall)
    r = limit(web, body)
    assert r.status_code == 400 and words in r.json()["error"]["message"], r.text
    assert all(row["override"] is None for row in web.get("/api/v1/limits").json())


def test_the_limits_form_without_the_page_header_is_refused(hall):
    r = limit(login(hall), '{"field": "max_waiting", "value": 5, "reason": "测试原因"}', headers={})
    assert r.status_code == 403 and "请从本系统的页面操作" in r.json()["error"]["message"]


def test_a_rating_text_with_control_characters_is_not_stored(hall):
    q = hall.queue
    t = q.issue("A")
    q.call_next(1)
    q.finish(1)
    web = login(hall)
    web.post("/rate/window/1", data={"ticket_id": str(t.id), "level": "5"}, headers=PAGE)  # then the details
    r = web.post("/rate/window/1", data={"ticket_id": str(t.id), "problems": "服务态度差", "text": "态度\x00差\x1b[2J"},
                 headers=PAGE)
    chinese_page(r, 400)
    assert "评价内容中含有无法显示的字符" in r.text
    assert [tuple(r) for r in q._conn.execute("SELECT level, text FROM ratings")] == [(5, "")]
    chinese_page(web.post("/rate/window/1", data={"ticket_id": "nan", "level": "1"}, headers=PAGE), 422)


@pytest.mark.parametrize("level", ["٣", "３", "1_2", "9" * 40])
def test_a_phone_rating_takes_ascii_levels_only(hall, level):
    """The phone page read ٣ as 3 (Python's int()) and recorded 基本满意 nobody chose."""
    q = hall.queue
    t = q.issue("A")
    q.call_next(1)
    q.finish(1)
    token = q._conn.execute("SELECT token FROM tickets WHERE id = ?", (t.id,)).fetchone()[0]
    r = hall.client().post(f"/t/{token}/rate", data={"level": level}, headers=BROWSER)
    chinese_page(r, 400)
    assert q._conn.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0
