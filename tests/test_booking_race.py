"""The last place of a slot against a real `jiaohao serve` on 127.0.0.1: 50 concurrent
attempts (the citizens' pages, and the API for window staff), exactly one wins, the
others are told the slot is full; the database holds one booking. A restart of serve
keeps the booking and the slot stays full."""
from __future__ import annotations

import sqlite3
import threading

import httpx
import pytest

from tests.booking_helpers import BOOKING_TOML, valid_id, without_booking
from tests.net_helpers import NetHall

ATTEMPTS = 50


@pytest.fixture
def served(tmp_path):
    h = NetHall(tmp_path).prepare()
    try:
        h.config.write_text(without_booking(h.config.read_text(encoding="utf-8")) + BOOKING_TOML.format(
            capacity=1, late="walk_in", per_ip=10_000, closed="[]"), encoding="utf-8")
        h.add_device("caller-1", "caller", (1,))
        h.start_serve()
    except BaseException:
        h.close()
        raise
    yield h
    h.close()


def race(send) -> list[httpx.Response]:
    """``send(i, client)`` from ATTEMPTS threads released together; their responses."""
    barrier = threading.Barrier(ATTEMPTS, timeout=30)
    out: list = [None] * ATTEMPTS

    def run(i: int) -> None:
        with httpx.Client(timeout=30) as c:
            barrier.wait()
            try:
                out[i] = send(i, c)
            except httpx.HTTPError as e:  # counted below as a failure, never hidden
                out[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def bookings_at(db, slot_prefix: str) -> int:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM appointments WHERE datetime(slot_at, 'unixepoch', 'localtime') "
                         "LIKE ? AND status != 'cancelled'", (slot_prefix + "%",)).fetchone()[0]


def test_fifty_phones_at_the_last_place_exactly_one_wins(served):
    url = served.public_url + "/book/A/2026-11-24/0900"
    answers = race(lambda i, c: c.post(url, data={"name": f"市民{i}", "mobile": f"1390000{i:04d}",
                                                  "id_number": valid_id(100 + i), "form_id": f"race-{i}"}))
    assert all(isinstance(r, httpx.Response) for r in answers), [r for r in answers if not isinstance(r, httpx.Response)]
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == ATTEMPTS - 1, statuses
    assert all("已约满" in r.text for r in answers if r.status_code == 409)
    assert bookings_at(served.db, "2026-11-24 09:00") == 1
    with httpx.Client(timeout=10) as c:  # the citizens' listener has the pages, never the API
        assert c.get(served.public_url + "/api/v1/booking/slots").status_code == 404
        assert c.get(served.public_url + "/book").status_code == 200
    log = served.serve.log_path.read_text(errors="replace")
    assert "POST /book/A/2026-11-24/0900" in log or "jiaohao serve" in log
    assert not any(valid_id(100 + i) in log or f"1390000{i:04d}" in log for i in range(ATTEMPTS))


def test_fifty_window_staff_at_the_last_place_exactly_one_wins_and_a_restart_keeps_it(served):
    token = served.tokens["caller-1"]
    api = served.url + "/api/v1/bookings"
    answers = race(lambda i, c: c.post(api, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"k{i}"},
                                       json={"service": "A", "start": "2026-11-24T10:00", "name": f"市民{i}",
                                             "mobile": f"1370000{i:04d}", "id_number": valid_id(200 + i)}))
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(201) == 1 and statuses.count(409) == ATTEMPTS - 1, statuses
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 409} == {"slot_full"}
    served.start_serve(restart=True)  # SIGKILL, then start again on the same database
    with httpx.Client(timeout=10) as c:
        r = c.get(served.url + "/api/v1/booking/slots", params={"service": "A", "day": "2026-11-24"},
                  headers={"Authorization": f"Bearer {token}"})
    slot = next(s for s in r.json()["slots"] if s["start"] == "2026-11-24T10:00")
    assert slot["left"] == 0 and not slot["open"]
    assert bookings_at(served.db, "2026-11-24 10:00") == 1
