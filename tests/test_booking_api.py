"""Bookings on the hall API: staff book and cancel for a citizen, managers lift 爽约
suspensions, refusals in words, RemoteHall the same as the local queue."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from hall import FixedClock, HallQueue
from hall.bookings import AlreadyBooked, SlotFull
from tests.api_helpers import Hall
from tests.booking_helpers import booking_hall, valid_id


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 23, 10, 0))


@pytest.fixture
def hall(tmp_path, clock):
    cfg = booking_hall(tmp_path, capacity=1)[1]
    q = HallQueue(tmp_path / "hall.sqlite", cfg, clock)
    h = Hall(q)
    yield h
    h.close()
    q.close()


def body(n: int, start: str = "2026-11-24T09:30", service: str = "A") -> dict:
    return {"service": service, "start": start, "name": "张三", "mobile": f"1380013{n:04d}",
            "id_number": valid_id(n)}


def test_staff_books_for_a_citizen_and_reads_slots(hall):
    staff = hall.client(hall.device("caller-5", "caller"))
    r = staff.get("/api/v1/booking/slots", params={"service": "A", "day": "2026-11-24"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["days"][:2] == ["2026-11-24", "2026-11-25"] and d["slots"][1]["label"] == "09:30-10:00"
    r = staff.post("/api/v1/bookings", json=body(1), headers={"Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["channel"] == "staff" and b["mobile"] == "138****0001" and valid_id(1) not in r.text
    again = staff.post("/api/v1/bookings", json=body(1), headers={"Idempotency-Key": "k1"})
    assert again.json()["code"] == b["code"] and again.headers.get("Idempotent-Replayed") == "true"
    full = staff.post("/api/v1/bookings", json=body(2), headers={"Idempotency-Key": "k2"})
    assert full.status_code == 409 and full.json()["error"]["code"] == "slot_full"
    dup = staff.post("/api/v1/bookings", json=body(1, "2026-11-24T10:00"), headers={"Idempotency-Key": "k3"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "already_booked"
    assert staff.get(f"/api/v1/bookings/{b['code']}").json()["status"] == "booked"
    r = staff.post(f"/api/v1/bookings/{b['code']}/cancel", json={}, headers={"Idempotency-Key": "k4"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    kiosk = hall.client(hall.device("kiosk-1", "kiosk"))
    assert kiosk.post("/api/v1/bookings", json=body(3)).status_code == 403


def test_manager_lifts_a_suspension_with_a_reason(hall, clock):
    q = hall.queue
    for day in (24, 25):
        q.book("A", datetime(2026, 11, day, 9, 0), "张三", "13800138000", valid_id(1))
    clock.set(datetime(2026, 11, 25, 12, 0))
    q.sweep_no_shows()
    hall.staff("0900", "manager")
    token = hall.client().post("/api/v1/login", json={"staff": "0900", "password": "secret-pass-1"}).json()["token"]
    mgr = hall.client(token)
    [s] = mgr.get("/api/v1/booking/suspensions").json()
    assert s["active"] and s["id_number"].endswith(valid_id(1)[-4:])
    assert hall.client(hall.device("caller-1", "caller")).get("/api/v1/booking/suspensions").status_code == 403
    r = mgr.post(f"/api/v1/booking/suspensions/{s['id']}/lift", json={"reason": "医院证明"},
                 headers={"Idempotency-Key": "lift-1"})
    assert r.status_code == 200 and r.json()["lifted_by"] == "staff:0900" and not r.json()["active"]
    assert mgr.get("/api/v1/booking/suspensions").json() == []


def test_remote_hall_books_like_the_queue(hall):
    from hall.remote import RemoteHall
    client = hall.client(hall.device("caller-7", "caller"))
    remote = RemoteHall("http://hall", hall.tokens["caller-7"], hall.queue.config, transport=client._transport,
                        stream=False)
    days = remote.booking_days()
    assert days[0] == date(2026, 11, 24)
    slots = remote.booking_slots("A", days[0])
    b = remote.book("A", datetime.fromisoformat(slots[0]["start"]), "李四", "13900139000", valid_id(4))
    assert remote.booking(b.code).status == "booked" and remote.booking("NOPE1234") is None
    with pytest.raises(AlreadyBooked):
        remote.book("A", datetime.fromisoformat(slots[2]["start"]), "李四", "13900139000", valid_id(4))
    with pytest.raises(SlotFull):
        remote.book("A", datetime.fromisoformat(slots[0]["start"]), "王五", "13900139001", valid_id(5))
    assert remote.cancel_booking(b.code).status == "cancelled"
    remote.close()


def test_check_in_by_id_number_over_the_api_keeps_no_plain_digest_of_it(hall, clock):
    import sqlite3

    from server.deps import fingerprint
    b = hall.queue.book("A", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(1))
    clock.set(datetime(2026, 11, 24, 9, 5))
    kiosk = hall.client(hall.device("kiosk-1", "kiosk"))
    r = kiosk.post("/api/v1/checkins", json={"code": valid_id(1)}, headers={"Idempotency-Key": "c1"})
    assert r.status_code == 201 and r.json()["appointment"] == b.code and r.json()["kind"] == "appointment"
    again = kiosk.post("/api/v1/checkins", json={"code": valid_id(1)}, headers={"Idempotency-Key": "c1"})
    assert again.json()["id"] == r.json()["id"]
    plain = fingerprint("POST", "/api/v1/checkins", {"code": valid_id(1), "kiosk": None})
    with sqlite3.connect(hall.queue.path) as c:
        kept = [row[0] for row in c.execute("SELECT fingerprint FROM idempotency")]
    assert kept and plain not in kept and valid_id(1) not in repr(kept)


@pytest.mark.parametrize("change, status, code", [
    ({"start": "2026-11-24T09:15"}, 400, "invalid"),  # not a slot's start
    ({"start": "tomorrow"}, 422, "bad_request"),
    ({"start": "2026-11-24 9:00 am"}, 400, "invalid"),
    ({"service": "Z"}, 404, "unknown_service"),
    ({"mobile": "12345678901"}, 400, "invalid"),
    ({"start": "2026-11-23T15:00"}, 409, "closed"),  # today: not in the window
])
def test_bad_bookings_are_refused_in_words(hall, change, status, code):
    staff = hall.client(hall.device("caller-9", "caller"))
    r = staff.post("/api/v1/bookings", json={**body(1), **change})
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    assert r.json()["error"]["message"] and "Traceback" not in r.text
