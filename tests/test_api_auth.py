"""The auth walk: every write route in the OpenAPI document refuses an anonymous caller
(401) and a role that may not (403), and lets a role that may through; every read but
/health refuses an anonymous caller. A new write route without a guard fails here."""
from __future__ import annotations

import pytest

from server.deps import ALL_ROLES
from tests.api_helpers import Hall, hall  # noqa: F401 - hall: the fixture

WRITE_METHODS = {"post", "put", "patch", "delete"}
ANONYMOUS_WRITES = {"/api/v1/login"}  # the only write anyone may try
ANONYMOUS_READS = {"/api/v1/health"}
SAMPLE = {"n": "1", "ticket_id": "1", "number": "A001", "code": "YY1234", "followup_id": "1", "suspension_id": "1"}


def fill(path: str) -> str:
    for name, value in SAMPLE.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"the walk has no sample value for a parameter of {path}"
    return path


class Tokens:
    """A token for every role; people are logged in at window 1."""

    def __init__(self, hall: Hall):
        self.hall, self.cache, self.people = hall, {}, 0
        self.anon = hall.client()

    def __call__(self, role: str) -> str:
        if role not in self.cache:
            if role in ("kiosk", "screen", "caller", "controller"):
                self.cache[role] = self.hall.device(f"{role}-walk", role)
            else:
                self.people += 1
                number = f"90{self.people}"
                password = self.hall.staff(number, role)
                r = self.anon.post("/api/v1/login", json={"staff": number, "password": password, "window": 1})
                assert r.status_code == 200, r.text
                self.cache[role] = r.json()["token"]
        return self.cache[role]


def walk(hall: Hall) -> list[str]:
    """What is wrong with the guards of the app's routes (empty: nothing)."""
    anon = hall.client()
    tokens = Tokens(hall)
    doc = anon.get("/api/v1/openapi.json")
    assert doc.status_code == 200
    problems = []
    writes = 0
    for path, ops in doc.json()["paths"].items():
        for method, op in ops.items():
            url = fill(path)
            if method not in WRITE_METHODS:
                if path not in ANONYMOUS_READS:
                    r = anon.request(method, url)
                    if r.status_code != 401:
                        problems.append(f"{method.upper()} {path}: anonymous read gave {r.status_code}")
                continue
            writes += 1
            roles = op.get("x-roles")
            if not roles:
                problems.append(f"{method.upper()} {path}: no x-roles (no guard declared)")
            r = anon.request(method, url, json={})
            if path in ANONYMOUS_WRITES:
                if roles != ["anonymous"]:
                    problems.append(f"{method.upper()} {path}: anonymous route not marked as such")
                continue
            if r.status_code != 401 or r.json().get("error", {}).get("code") != "unauthorized":
                problems.append(f"{method.upper()} {path}: anonymous gave {r.status_code}")
            if not roles:
                continue
            wrong = [role for role in ALL_ROLES if role not in roles]
            if not wrong:
                problems.append(f"{method.upper()} {path}: every role may write here")
            for role in wrong:
                r = hall.client(tokens(role)).request(method, url, json={})
                if r.status_code != 403 or r.json()["error"]["code"] != "forbidden":
                    problems.append(f"{method.upper()} {path}: role {role} gave {r.status_code}")
            for role in roles:
                r = hall.client(tokens(role)).request(method, url, json={})
                if r.status_code in (401, 403):
                    problems.append(f"{method.upper()} {path}: role {role} refused ({r.status_code}: {r.text})")
                if path == "/api/v1/logout":
                    tokens.cache.pop(role)  # that session has ended
    if writes < 15:
        problems.append(f"only {writes} write routes in the OpenAPI document")
    return problems


def test_every_write_route_is_guarded(hall):
    assert walk(hall) == []


def test_an_unguarded_write_route_fails_the_walk(hall):
    @hall.app.post("/api/v1/windows/{n}/unguarded")
    def unguarded(n: int) -> dict:
        return {}

    hall.app.openapi_schema = None
    problems = walk(hall)
    assert any("unguarded: no x-roles" in p for p in problems), problems
    assert any("unguarded: anonymous gave 200" in p for p in problems), problems


def test_staff_session_acts_only_on_its_own_window(hall, queue):
    hall.staff("0517")
    anon = hall.client()
    r = anon.post("/api/v1/login", json={"staff": "0517", "password": "secret-pass-1", "window": 3})
    assert r.status_code == 200, r.text
    assert r.json()["window"] == 3 and queue.window_state(3).staff == "0517"  # the window is logged in too
    staff = hall.client(r.json()["token"])
    assert staff.post("/api/v1/windows/3/call").status_code == 204
    r = staff.post("/api/v1/windows/4/call")
    assert r.status_code == 403 and "3" in r.json()["error"]["message"]
    assert staff.post("/api/v1/windows/3/login", json={"staff": "0999"}).status_code == 403
    assert staff.post("/api/v1/logout").status_code == 204
    assert staff.post("/api/v1/windows/3/call").status_code == 401


def test_caller_device_bound_to_windows(hall, queue):
    c = hall.client(hall.device("caller-5", "caller", (5, 6)))
    queue.login(5, "1"), queue.login(7, "2")
    assert c.post("/api/v1/windows/5/call").status_code == 204
    assert c.post("/api/v1/windows/7/call").status_code == 403


def test_login_refused_in_words(hall):
    hall.staff("0517")
    r = hall.client().post("/api/v1/login", json={"staff": "0517", "password": "wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_login"
    assert r.json()["error"]["message"] == "工号或密码错误"
    r = hall.client().post("/api/v1/login", json={"staff": "0517", "password": "secret-pass-1", "window": 999})
    assert r.status_code == 404


def test_login_token_is_a_bearer_token(hall):
    hall.staff("0517", role="manager")
    r = hall.client().post("/api/v1/login", json={"staff": "0517", "password": "secret-pass-1"})
    body = r.json()
    assert set(body) == {"token", "staff", "name", "role", "window", "expires_at"}
    assert hall.client(body["token"]).get("/api/v1/hall").status_code == 200


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer ", "bearer nonsense", "x" * 600])
def test_bad_credentials_are_401(hall, header):
    r = hall.client().post("/api/v1/tickets", json={"service": "A"}, headers={"Authorization": header})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"


def test_revoked_device_is_refused_at_once(hall):
    kiosk = hall.client(hall.device("kiosk-2", "kiosk"))
    assert kiosk.post("/api/v1/tickets", json={"service": "A"}).status_code == 201
    hall.access.revoke_device("kiosk-2")
    r = kiosk.post("/api/v1/tickets", json={"service": "A"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert kiosk.get("/api/v1/hall").status_code == 401


def test_failed_logins_lock_out_with_retry_after(hall):
    hall.staff("0517")
    anon = hall.client()
    codes = [anon.post("/api/v1/login", json={"staff": "0517", "password": f"wrong{i}"}).status_code
             for i in range(6)]
    assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]  # the 5th failure starts the lock-out
    r = anon.post("/api/v1/login", json={"staff": "0517", "password": "secret-pass-1"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    assert int(r.headers["retry-after"]) >= 1 and "秒" in r.json()["error"]["message"]


def test_a_device_cannot_log_out(hall):
    r = hall.client(hall.device("caller-1", "caller")).post("/api/v1/logout")
    assert r.status_code == 403


def test_openapi_declares_the_bearer_scheme(hall):
    doc = hall.client().get("/api/v1/openapi.json").json()
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert doc["paths"]["/api/v1/windows/{n}/call"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in doc["paths"]["/api/v1/health"]["get"]


def test_roles_are_the_table_in_docs_api_md():
    """server/deps.py ROLES and the contract's table say the same."""
    from pathlib import Path

    from server.deps import ROLES
    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    header = next(line for line in text.splitlines() if line.startswith("| operation |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    ops = {"issue, check-in": "issue", "window operations": "window", "re-activate": "reactivate",
           "import appointments": "appointments", "write a device notice": "log", "reports": "reports",
           "rate a ticket": "rate", "差评 follow-ups": "followups",
           "book or cancel a booking": "book", "list bookings, list and lift": "suspensions"}
    seen = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        op = next((v for k, v in ops.items() if cells[0].startswith(k)), None)
        if op is None or len(cells) != len(columns) + 1:
            continue
        seen.add(op)
        assert {role for role, cell in zip(columns, cells[1:]) if cell} == ROLES[op], op
    assert seen == set(ops.values())
