"""Safe retries over HTTP: the same Idempotency-Key acts once and answers the same."""
from __future__ import annotations

import pytest

from tests.api_helpers import hall  # noqa: F401 - the fixture


def test_issue_retried_issues_once(hall, queue):
    kiosk = hall.client(hall.device("kiosk-2", "kiosk"))
    key = {"Idempotency-Key": "tap-1"}
    first = kiosk.post("/api/v1/tickets", json={"service": "A"}, headers=key)
    again = kiosk.post("/api/v1/tickets", json={"service": "A"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert queue.issued_today("A") == 1
    other = kiosk.post("/api/v1/tickets", json={"service": "A"}, headers={"Idempotency-Key": "tap-2"})
    assert other.json()["number"] == "A002"


def test_call_retried_calls_once_and_204_replays(hall, queue):
    kiosk = hall.client(hall.device("kiosk-2", "kiosk"))
    caller = hall.client(hall.device("caller-1", "caller"))
    queue.login(1, "0517")
    kiosk.post("/api/v1/tickets", json={"service": "A"})
    kiosk.post("/api/v1/tickets", json={"service": "A"})
    a = caller.post("/api/v1/windows/1/call", headers={"Idempotency-Key": "key-1"})
    b = caller.post("/api/v1/windows/1/call", headers={"Idempotency-Key": "key-1"})
    assert a.json()["number"] == b.json()["number"] == "A001"
    assert [e.kind for e in queue.events_after(0)].count("called") == 1
    caller.post("/api/v1/windows/1/call")  # A002
    n1 = caller.post("/api/v1/windows/1/call", headers={"Idempotency-Key": "key-2"})
    n2 = caller.post("/api/v1/windows/1/call", headers={"Idempotency-Key": "key-2"})
    assert n1.status_code == n2.status_code == 204 and n2.headers["idempotent-replayed"] == "true"


def test_refusal_is_replayed_and_changes_nothing(hall, queue):
    caller = hall.client(hall.device("caller-1", "caller"))
    queue.login(5, "0517")
    queue.pause(5, "lunch")
    key = {"Idempotency-Key": "press-9"}
    first = caller.post("/api/v1/windows/5/call", headers=key)
    queue.resume(5)
    again = caller.post("/api/v1/windows/5/call", headers=key)
    assert first.status_code == again.status_code == 409
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"


def test_key_for_another_request_is_refused(hall, queue):
    kiosk = hall.client(hall.device("kiosk-2", "kiosk"))
    key = {"Idempotency-Key": "tap-1"}
    kiosk.post("/api/v1/tickets", json={"service": "A"}, headers=key)
    r = kiosk.post("/api/v1/tickets", json={"service": "B"}, headers=key)
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_mismatch"
    assert queue.issued_today("B") == 0


def test_keys_belong_to_their_credential(hall, queue):
    k2 = hall.client(hall.device("kiosk-2", "kiosk"))
    k3 = hall.client(hall.device("kiosk-3", "kiosk"))
    key = {"Idempotency-Key": "same"}
    assert k2.post("/api/v1/tickets", json={"service": "A"}, headers=key).json()["number"] == "A001"
    assert k3.post("/api/v1/tickets", json={"service": "A"}, headers=key).json()["number"] == "A002"


def test_database_problem_is_not_kept(hall, queue, monkeypatch):
    from hall.errors import DatabaseProblem
    kiosk = hall.client(hall.device("kiosk-2", "kiosk"))
    real = queue.issue

    def full(*a, **kw):
        raise DatabaseProblem("full", queue.path, "the disk is full", "free some space")

    monkeypatch.setattr(queue, "issue", full)
    key = {"Idempotency-Key": "tap-1"}
    assert kiosk.post("/api/v1/tickets", json={"service": "A"}, headers=key).status_code == 503
    monkeypatch.setattr(queue, "issue", real)
    r = kiosk.post("/api/v1/tickets", json={"service": "A"}, headers=key)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers


@pytest.mark.parametrize("key", ["", "k" * 201, "tab\there"])
def test_bad_keys(hall, key):
    kiosk = hall.client(hall.device("kiosk-2", "kiosk"))
    r = kiosk.post("/api/v1/tickets", json={"service": "A"}, headers={"Idempotency-Key": key})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
