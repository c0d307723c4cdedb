"""Odd requests get a clear 4xx with the error body, never a 500; a database that
cannot be used is a 503 ``database``; nothing is lost to a refused request."""
from __future__ import annotations

import sqlite3

import pytest

from hall.errors import DatabaseProblem
from tests.api_helpers import hall  # noqa: F401 - the fixture

HUGE = 10 ** 30


@pytest.fixture
def ctl(hall, queue):
    queue.login(1, "0517")
    return hall.client(hall.device("ctl", "controller"))


def error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code and body["message"] and body["message_en"], body
    return body


def test_not_json(ctl):
    body = error(ctl.post("/api/v1/tickets", content=b"service=A",
                          headers={"Content-Type": "application/json"}), 422, "bad_request")
    assert "JSON" in body["message_en"]


@pytest.mark.parametrize("payload", [[], "A", None, 5, {"service": ["A"]}, {"service": "A", "priority": "yes"},
                                     {"service": ""}, {"priority": True}])
def test_wrong_shapes(ctl, payload):
    error(ctl.post("/api/v1/tickets", json=payload), 422, "bad_request")


def test_unknown_field_is_named(ctl):
    body = error(ctl.post("/api/v1/tickets", json={"service": "A", "prority": True}), 422, "bad_request")
    assert "prority" in body["message"] and "prority" in body["message_en"]


@pytest.mark.parametrize("path", [f"/api/v1/windows/{HUGE}/call", "/api/v1/windows/0/call", "/api/v1/windows/-1/call",
                                  "/api/v1/windows/５/call", "/api/v1/windows/٥/call", "/api/v1/windows/1.5/call",
                                  "/api/v1/windows/%20/call"])
def test_odd_window_numbers(ctl, path):
    r = ctl.post(path)
    assert r.status_code in (404, 422), r.text
    assert r.json()["error"]["code"] in ("bad_request", "not_found", "unknown_window")


def test_unknown_window_and_service(ctl):
    error(ctl.post("/api/v1/windows/999/call"), 404, "unknown_window")
    body = error(ctl.post("/api/v1/tickets", json={"service": "Q"}), 404, "unknown_service")
    assert "Q" in body["message"]


@pytest.mark.parametrize("url,payload", [
    ("/api/v1/windows/1/rate", {"score": HUGE}),
    ("/api/v1/windows/1/call-number", {"number": HUGE}),
    ("/api/v1/windows/1/transfer", {"to_window": HUGE}),
    ("/api/v1/windows/1/rate", {"score": 1e309}),
    (f"/api/v1/tickets/by-id/{HUGE}/cancel", {"reason": "x"}),
])
def test_huge_numbers(ctl, url, payload):
    r = ctl.post(url, json=payload) if not isinstance(payload.get("score"), float) else \
        ctl.post(url, content=b'{"score": 1e309}', headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"]


def test_unicode_digits_in_a_ticket_number(ctl):
    error(ctl.post("/api/v1/windows/1/call-number", json={"number": "٢٣"}), 404, "unknown_ticket")
    error(ctl.post("/api/v1/windows/1/call-number", json={"number": "A０２３"}), 404, "unknown_ticket")


def test_odd_reads(ctl):
    error(ctl.get(f"/api/v1/tickets/by-id/{HUGE}"), 422, "bad_request")
    error(ctl.get("/api/v1/tickets/A001", params={"day": "yesterday"}), 422, "bad_request")
    error(ctl.get("/api/v1/events/log", params={"after": -1}), 422, "bad_request")
    error(ctl.get("/api/v1/reports/day", params={"day": "2026-02-30"}), 400, "invalid")
    error(ctl.get("/api/v1/reports/day", params={"day": "9999-12-31"}), 400, "invalid")
    error(ctl.get("/api/v1/reports/day", params={"by": "nonsense"}), 400, "invalid")
    error(ctl.get("/api/v1/nowhere"), 404, "not_found")
    error(ctl.delete("/api/v1/tickets"), 405, "method_not_allowed")


def test_bad_idempotency_key(ctl):
    error(ctl.post("/api/v1/tickets", json={"service": "A"}, headers={"Idempotency-Key": "k" * 201}), 400, "invalid")


def test_every_write_route_takes_odd_bodies_without_500(ctl):
    doc = ctl.get("/api/v1/openapi.json").json()
    odd = [b"", b"null", b"[]", b"{", b'"x"', b"{}", b'{"number": 1e999}', b'{"x": "\xff"}',
           b'{"score": true}', b'{"reason": {"a": 1}}']
    count = 0
    for path, ops in doc["paths"].items():
        if "post" not in ops:
            continue
        url = path.replace("{n}", "1").replace("{ticket_id}", "1").replace("{number}", "A001")
        for body in odd:
            r = ctl.post(url, content=body, headers={"Content-Type": "application/json"})
            assert r.status_code < 500, (url, body, r.status_code, r.text)
            if r.status_code >= 400:
                assert r.json()["error"]["code"], (url, body)
            count += 1
    assert count > 100


def test_database_problem_is_503(hall, ctl, monkeypatch):
    def full(*a, **kw):
        raise DatabaseProblem("full", "/var/lib/jiaohao/hall.sqlite", "the disk is full", "free some space")

    monkeypatch.setattr(hall.queue, "call_next", full)
    error(ctl.post("/api/v1/windows/1/call"), 503, "database")

    def locked(*a, **kw):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(hall.queue, "issue", locked)
    error(ctl.post("/api/v1/tickets", json={"service": "A"}), 503, "database")


def test_refused_issue_loses_nothing(ctl, queue, clock):
    ctl.post("/api/v1/tickets", json={"service": "A"})
    ctl.post("/api/v1/tickets", json={"service": "A", "extra": 1})
    clock.advance(hours=10)  # 19:00: closed
    body = error(ctl.post("/api/v1/tickets", json={"service": "A"}), 409, "closed")
    assert "办理时间" in body["message"]
    assert queue.issued_today("A") == 1


def test_a_huge_body_is_refused_unread(ctl, queue):
    r = ctl.post("/api/v1/appointments", content=b"{" + b" " * (9 * 1024 * 1024) + b"}",
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_request_errors_are_said_in_chinese_too(ctl):
    body = error(ctl.post("/api/v1/windows/1/rate", json={"score": "5"}), 422, "bad_request")
    assert body["message"] == "score：须为整数" and "integer" in body["message_en"]
    body = error(ctl.post("/api/v1/windows/1/call-number", json={"number": []}), 422, "bad_request")
    assert body["message"].startswith("number：") and "constrained" not in body["message_en"]
    assert error(ctl.post("/api/v1/tickets", json={}), 422, "bad_request")["message"] == "缺少 service"


@pytest.mark.parametrize("slot", ["0001-01-01T00:00+08:00", "9999-12-31T23:59-08:00", "1999-12-31T09:00",
                                  "2026-11-23T25:00", "tomorrow 9am"])
def test_odd_appointment_slots(ctl, slot):
    r = ctl.post("/api/v1/appointments", json={"appointments": [{"code": "A1", "service": "A", "slot": slot}]})
    error(r, 400, "invalid")


def test_every_route_takes_odd_path_values_without_500(ctl):
    doc = ctl.get("/api/v1/openapi.json").json()
    odd = ["%00", "%EF%BC%99", "-1", "9" * 40, "A" * 300, "%F0%9F%98%80", "1e3", "..%2F..", "%20"]
    count = 0
    for path, ops in doc["paths"].items():
        if "{" not in path or path == "/api/v1/events":
            continue
        for method in ops:
            for value in odd:
                url = path.split("{")[0] + value + path.split("}")[1]
                r = ctl.request(method, url, json={})
                assert r.status_code < 500, (method, url, r.status_code, r.text)
                count += 1
    assert count > 100


def test_snapshot_not_readable_is_503_not_stale_figures(hall, ctl, monkeypatch):
    from datetime import datetime

    from hall.snapshot import HallSnapshot
    monkeypatch.setattr(hall.app.state.figures, "snapshot", lambda: HallSnapshot(datetime(2026, 11, 23, 9), ok=False))
    error(ctl.get("/api/v1/hall"), 503, "database")
