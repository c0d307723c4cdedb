"""The citizens' booking pages without JavaScript (plain forms, in-process app): each step,
the code and QR, a double submit books once, refusals in words, suspension says why and
until when, look-up and cancel by code + mobile, rate limits, nothing personal in URLs."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from hall import FixedClock, HallQueue
from tests.api_helpers import Hall
from tests.booking_helpers import booking_hall, valid_id


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 23, 10, 0))


def make(tmp_path, clock, **kw):
    cfg = booking_hall(tmp_path, **kw)[1]
    q = HallQueue(tmp_path / "hall.sqlite", cfg, clock)
    return Hall(q)


@pytest.fixture
def hall(tmp_path, clock):
    h = make(tmp_path, clock, capacity=1)
    yield h
    h.close()
    h.queue.close()


def person(n: int, name: str = "张三") -> dict:
    return {"name": name, "mobile": f"1380013{n:04d}", "id_number": valid_id(n)}


def form_id(html: str) -> str:
    return re.search(r'name="form_id" value="([^"]+)"', html).group(1)


def test_each_step_then_code_and_qr(hall):
    web = hall.client()
    r = web.get("/book")
    assert r.status_code == 200 and 'href="/book/A"' in r.text and 'href="/book/B"' not in r.text
    r = web.get("/book/A")
    assert 'href="/book/A/2026-11-24"' in r.text and "11月24日 周二" in r.text
    r = web.get("/book/A/2026-11-24")
    assert 'href="/book/A/2026-11-24/0930"' in r.text
    r = web.get("/book/A/2026-11-24/0930")
    fid = form_id(r.text)
    r = web.post("/book/A/2026-11-24/0930", data={**person(1), "form_id": fid})
    assert r.status_code == 201, r.text
    code = re.search(r'id="code">([A-Z0-9]{8})<', r.text).group(1)
    assert "<svg" in r.text and "张*" in r.text and "138****0001" in r.text
    assert valid_id(1) not in r.text and "13800130001" not in r.text
    again = web.post("/book/A/2026-11-24/0930", data={**person(1), "form_id": fid})  # a reload
    assert code in again.text and len(hall.queue.bookings_on("2026-11-24")) == 1
    # the slot is now full: shown so, and a second person is refused in words
    assert "/book/A/2026-11-24/0930" not in web.get("/book/A/2026-11-24").text
    r = web.post("/book/A/2026-11-24/0930", data={**person(2), "form_id": "other"})
    assert r.status_code == 404 or "已约满" in r.text  # the slot is no longer offered
    r = web.get("/book/A?lang=en")
    assert "Tue 24 Nov" in r.text


def test_refusals_in_words_and_form_kept(hall):
    web = hall.client()
    r = web.post("/book/A/2026-11-24/1000", data={**person(1), "id_number": valid_id(1)[:-1] + "5", "form_id": "f1"})
    assert r.status_code == 400 and "校验位不对" in r.text and 'value="13800130001"' in r.text
    web.post("/book/A/2026-11-24/1000", data={**person(1), "form_id": "f2"})
    r = web.post("/book/A/2026-11-24/1100", data={**person(1), "form_id": "f3"})
    assert "每天只能预约一次" in r.text


def test_suspended_person_is_told_why_and_until_when(hall, clock):
    q = hall.queue
    for day in (24, 25):
        q.book("A", datetime(2026, 11, day, 9, 0), "张三", "13800130001", valid_id(1))
    clock.set(datetime(2026, 11, 25, 12, 0))
    q.sweep_no_shows()
    r = hall.client().post("/book/A/2026-11-26/1000", data={**person(1), "form_id": "s1"})
    assert r.status_code == 403
    assert "爽约2次" in r.text and "2026-12-05 12:00" in r.text and 'name="id_number"' not in r.text


def test_look_up_and_cancel_by_code_and_mobile(hall):
    web = hall.client()
    b = hall.queue.book("A", datetime(2026, 11, 24, 9, 0), "张三", "13800130001", valid_id(1))
    assert web.post("/book/mine", data={"code": b.code, "mobile": "13900000000"}).status_code == 404
    r = web.post("/book/mine", data={"code": b.code.lower(), "mobile": "13800130001"})
    assert r.status_code == 200 and "取消这个预约" in r.text
    r = web.post("/book/cancel", data={"code": b.code, "mobile": "13800130001"})
    assert r.status_code == 200 and "预约已取消" in r.text
    assert hall.queue.booking(b.code).status == "cancelled"


def test_rate_limits_per_ip_and_per_mobile(tmp_path, clock):
    h = make(tmp_path, clock, per_ip=3)
    web = h.client()
    codes = [web.post("/book/A/2026-11-24/0900", data={**person(n), "form_id": f"r{n}"}).status_code
             for n in range(4)]
    assert codes[:3] == [201, 201, 201] and codes[3] == 429
    looks = [web.post("/book/mine", data={"code": "NOPE2345", "mobile": "13800000000"}) for _ in range(4)]
    assert [r.status_code for r in looks] == [404, 404, 404, 429] and "操作过于频繁" in looks[3].text
    h.close()
    h.queue.close()


def test_rate_limit_per_mobile_number(hall):
    web = hall.client()
    slots = ["0900", "0930", "1000", "1030", "1100", "1130"]
    codes = [web.post(f"/book/A/2026-11-24/{s}", data={**person(20 + i), "mobile": "13912345678",
                                                     "form_id": f"m{i}"}).status_code for i, s in enumerate(slots)]
    assert codes == [201] * 5 + [429]  # [booking] per_mobile_day = 5


def test_pages_only_on_book_and_no_outside_assets(hall):
    r = hall.client().get("/book/A/2026-11-24/0930")
    assert not re.search(r'(src|href)="(https?:)?//', r.text)
