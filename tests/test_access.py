"""hall/access.py on a real queue database: devices, staff, sessions, the token lookup of
every request, login lock-outs (an injected clock, no sleeping), and the 0003_access
migration of a database made before it."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading

import pytest

from hall import HallQueue, InvalidArgument, UnknownWindow
from hall import access as access_mod
from hall import db as hall_db
from hall import passwords
from hall.access import Access, LoginRefused
from hall.errors import UnknownDevice, UnknownStaff

PASSWORD = "correct horse 8"


class Mono:
    """A monotonic clock that moves only when told."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def mono():
    return Mono()


@pytest.fixture
def access(queue, mono):
    a = Access(queue, login_attempts=3, lockout_seconds=60, monotonic=mono)
    yield a
    a.close()


@pytest.fixture
def fast_scrypt(monkeypatch):
    """Count scrypt runs (the cost is the point elsewhere; here, that it runs)."""
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kw):
        calls.append(1)
        return real(*args, **kw)
    monkeypatch.setattr(passwords.hashlib, "scrypt", counting)
    return calls


def events(queue, kind):
    rows = queue._conn.execute("SELECT data FROM events WHERE kind = ? ORDER BY id", (kind,)).fetchall()
    return [json.loads(r[0]) for r in rows]


# -- devices -----------------------------------------------------------------------------
def test_a_device_token_is_random_prefixed_and_stored_only_as_its_sha256(access, queue):
    token = access.add_device("kiosk-2", "kiosk")
    assert token.startswith("jhd_") and len(token) >= 4 + 43
    assert access.add_device("kiosk-3", "kiosk") != token
    stored = queue._conn.execute("SELECT token_hash FROM devices WHERE name = 'kiosk-2'").fetchone()[0]
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    dump = "\n".join(queue._conn.iterdump())
    assert token not in dump and token[4:] not in dump
    p = access.principal_for(token)
    assert (p.kind, p.name, p.role, p.windows, p.token_id) == ("device", "kiosk-2", "kiosk", (), stored[:16])
    assert events(queue, "device_added")[0] == {"name": "kiosk-2", "role": "kiosk", "windows": []}


def test_a_caller_device_is_bound_to_its_windows(access):
    token = access.add_device("caller-5", "caller", (6, 5, 5))
    assert access.principal_for(token).windows == (5, 6)
    assert [d.windows for d in access.devices()] == [(5, 6)]


@pytest.mark.parametrize("name, role, windows, error", [
    ("kiosk 2", "kiosk", (), InvalidArgument), ("", "kiosk", (), InvalidArgument),
    ("k" * 41, "kiosk", (), InvalidArgument), ("kiosk-2", "printer", (), InvalidArgument),
    ("kiosk-2", "kiosk", (5,), InvalidArgument), ("caller-9", "caller", (999,), UnknownWindow)])
def test_bad_device_names_roles_and_windows_are_refused_in_words(access, queue, name, role, windows, error):
    with pytest.raises(error) as e:
        access.add_device(name, role, windows)
    assert str(e.value) and e.value.zh != str(e.value)  # English and Chinese
    assert queue._conn.execute("SELECT count(*) FROM devices").fetchone()[0] == 0


def test_a_device_name_in_use_is_refused_until_revoked_then_the_new_token_alone_works(access, queue):
    old = access.add_device("kiosk-2", "kiosk")
    with pytest.raises(InvalidArgument, match="revoke it first"):
        access.add_device("kiosk-2", "kiosk")
    revoked = access.revoke_device("kiosk-2")
    assert revoked.revoked_at is not None
    assert access.principal_for(old) is None
    new = access.add_device("kiosk-2", "kiosk")  # a lost token: revoke, add again
    assert access.principal_for(new).name == "kiosk-2" and access.principal_for(old) is None
    assert [(d.name, d.revoked_at is None) for d in access.devices()] == [("kiosk-2", False), ("kiosk-2", True)]
    ev = events(queue, "device_revoked")
    assert ev == [{"name": "kiosk-2", "role": "kiosk",
                   "token_ids": [hashlib.sha256(old.encode()).hexdigest()[:16]]}]
    with pytest.raises(UnknownDevice):
        access.revoke_device("kiosk-9")


def test_a_revocation_by_another_process_counts_at_the_next_request(access, queue, demo_config, clock, db_path):
    token = access.add_device("screen-1", "screen")
    assert access.principal_for(token) is not None
    other = HallQueue(db_path, demo_config, clock)  # e.g. `jiaohao devices revoke` while serve runs
    try:
        Access(other).revoke_device("screen-1")
    finally:
        other.close()
    assert access.principal_for(token) is None


@pytest.mark.parametrize("token", ["", "jhd_", "jhs_", "nonsense", "jhd_" + "x" * 43, "Bearer x", "jhd_" + "a" * 500,
                                   None, 17])
def test_unknown_or_malformed_tokens_have_no_principal(access, token):
    access.add_device("kiosk-2", "kiosk")
    assert access.principal_for(token) is None


def test_last_seen_is_written_at_most_once_a_minute(access, queue, mono, clock):
    token = access.add_device("kiosk-2", "kiosk")
    writes = queue._conn.total_changes
    for _ in range(50):
        access.principal_for(token)
    assert queue._conn.total_changes == writes  # kept in memory
    mono.t += 61
    clock.advance(minutes=1)
    access.principal_for(token)
    seen = queue._conn.execute("SELECT last_seen_at FROM devices").fetchone()[0]
    assert seen == clock.now.timestamp()


# -- staff and sessions ------------------------------------------------------------------------
def test_staff_password_is_an_scrypt_hash_and_a_login_gives_a_session_bound_to_its_window(access, queue):
    member = access.add_staff("0517", "张三", "staff", PASSWORD)
    assert (member.staff, member.name, member.role, member.disabled_at) == ("0517", "张三", "staff", None)
    stored = queue._conn.execute("SELECT password_hash FROM staff").fetchone()[0]
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    session = access.login("0517", PASSWORD, window=5, hours=8)
    assert session.token.startswith("jhs_") and session.window == 5
    assert session.expires_at == queue.clock().timestamp() + 8 * 3600
    p = access.principal_for(session.token)
    assert (p.kind, p.name, p.role, p.windows, p.display_name) == ("staff", "0517", "staff", (5,), "张三")
    away = access.login("0517", PASSWORD, window=None)
    assert access.principal_for(away.token).windows == ()
    token_hashes = [r[0] for r in queue._conn.execute("SELECT token_hash FROM sessions")]
    assert hashlib.sha256(session.token.encode()).hexdigest() in token_hashes
    assert "\n".join(queue._conn.iterdump()).count(session.token) == 0


@pytest.mark.parametrize("staff, name, role, password", [
    ("05 17", "张三", "staff", PASSWORD), ("", "张三", "staff", PASSWORD), ("0517", "", "staff", PASSWORD),
    ("0517", "张三", "boss", PASSWORD), ("0517", "张三", "staff", "short7!"), ("0517", "张三", "staff", " " * 9),
    ("0517", "张三", "staff", "tab\tin password")])
def test_bad_staff_entries_are_refused_in_words(access, queue, staff, name, role, password):
    with pytest.raises(InvalidArgument) as e:
        access.add_staff(staff, name, role, password)
    assert e.value.zh and str(e.value)
    assert access.staff() == []


def test_the_password_rule_says_eight_characters(access):
    with pytest.raises(InvalidArgument, match="at least 8 characters") as e:
        access.add_staff("0517", "张三", "staff", "1234567")
    assert "8" in e.value.zh


def test_a_staff_number_is_added_once(access):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    with pytest.raises(InvalidArgument, match="exists"):
        access.add_staff("0517", "李四", "manager", PASSWORD)


def test_sessions_expire(access, clock):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    s = access.login("0517", PASSWORD, window=1, hours=2)
    clock.advance(hours=1, minutes=59)
    assert access.principal_for(s.token) is not None
    clock.advance(minutes=1)
    assert access.principal_for(s.token) is None


def test_logout_ends_the_session_and_logs_its_token_id(access, queue):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    s, other = access.login("0517", PASSWORD, 1), access.login("0517", PASSWORD, 2)
    access.logout(s.token)
    assert access.principal_for(s.token) is None and access.principal_for(other.token) is not None
    assert events(queue, "session_ended") == [{"staff": "0517", "reason": "logout",
                                               "token_ids": [hashlib.sha256(s.token.encode()).hexdigest()[:16]]}]
    assert queue._conn.execute("SELECT window FROM events WHERE kind = 'session_ended'").fetchone()[0] == 1
    access.logout(s.token)  # again: nothing more
    assert len(events(queue, "session_ended")) == 1
    with pytest.raises(InvalidArgument):
        access.logout(access.add_device("kiosk-2", "kiosk"))


def test_a_password_change_ends_every_session_of_that_person_only(access, queue):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    access.add_staff("0600", "李四", "manager", PASSWORD)
    mine = [access.login("0517", PASSWORD, w) for w in (1, 2)]
    theirs = access.login("0600", PASSWORD, None)
    access.set_password("0517", "another pass 9")
    assert [access.principal_for(s.token) for s in mine] == [None, None]
    assert access.principal_for(theirs.token) is not None
    with pytest.raises(LoginRefused):
        access.login("0517", PASSWORD, 1)
    assert access.login("0517", "another pass 9", 1).window == 1
    ev = events(queue, "staff_password_changed")[0]
    assert ev["staff"] == "0517" and sorted(ev["token_ids"]) == sorted(
        hashlib.sha256(s.token.encode()).hexdigest()[:16] for s in mine)
    with pytest.raises(UnknownStaff):
        access.set_password("9999", "another pass 9")


def test_disabling_ends_sessions_refuses_logins_and_is_logged_once(access, queue):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    s = access.login("0517", PASSWORD, 3)
    member = access.disable_staff("0517")
    assert member.disabled_at is not None
    assert access.principal_for(s.token) is None
    with pytest.raises(LoginRefused) as e:
        access.login("0517", PASSWORD, 3)
    assert e.value.code == "bad_login"  # the same answer as a wrong password
    access.disable_staff("0517")
    assert events(queue, "staff_disabled") == [{"staff": "0517",
                                                "token_ids": [hashlib.sha256(s.token.encode()).hexdigest()[:16]]}]
    access.enable_staff("0517")
    assert access.principal_for(access.login("0517", PASSWORD, 3).token).name == "0517"
    assert access.principal_for(s.token) is None  # an ended session stays ended


def test_login_at_an_unknown_window_is_refused_before_any_password_check(access, fast_scrypt):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    fast_scrypt.clear()
    with pytest.raises(UnknownWindow):
        access.login("0517", PASSWORD, 999)
    assert fast_scrypt == []


# -- failed logins -----------------------------------------------------------------------------
def test_unknown_staff_and_wrong_password_give_the_same_answer_and_the_same_work(access, fast_scrypt):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    answers = []
    for staff, password in [("0517", "wrong password"), ("9999", "wrong password"), ("0517", ""), ("9999", "")]:
        fast_scrypt.clear()
        with pytest.raises(LoginRefused) as e:
            access.login(staff, password, None)
        answers.append((e.value.code, e.value.retry_after, str(e.value), e.value.zh, len(fast_scrypt)))
    assert len(set(answers)) == 1, answers
    assert answers[0] == ("bad_login", 0, "wrong staff number or password", "工号或密码错误", 1)


def test_failed_logins_lock_the_staff_number_out_and_each_lock_out_doubles(access, mono):
    access.add_staff("0517", "张三", "staff", PASSWORD)

    def fail():
        with pytest.raises(LoginRefused) as e:
            access.login("0517", "wrong password", None)
        return e.value.code, e.value.retry_after

    assert [fail() for _ in range(3)] == [("bad_login", 0), ("bad_login", 0), ("too_many_attempts", 60)]
    with pytest.raises(LoginRefused) as e:
        access.login("0517", PASSWORD, None)  # the right password too, while locked out
    assert (e.value.code, e.value.retry_after) == ("too_many_attempts", 60)
    assert "60" in str(e.value) and "60" in e.value.zh
    mono.t += 30
    assert fail() == ("too_many_attempts", 30)
    mono.t += 30
    assert [fail() for _ in range(3)] == [("bad_login", 0), ("bad_login", 0), ("too_many_attempts", 120)]
    mono.t += 120
    assert access.login("0517", PASSWORD, None).staff.staff == "0517"  # a success forgets the failures
    assert [fail() for _ in range(3)][-1] == ("too_many_attempts", 60)


def test_a_lock_out_of_one_staff_number_leaves_the_others_alone(access):
    for staff in ("0517", "0600"):
        access.add_staff(staff, "张三", "staff", PASSWORD)
    for _ in range(3):
        with pytest.raises(LoginRefused):
            access.login("0517", "wrong password", None)
    assert access.login("0600", PASSWORD, None).staff.staff == "0600"


def test_one_client_address_cannot_try_every_staff_number(access, mono, fast_scrypt):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    codes = []
    for n in range(12):  # 4 x login_attempts, each a different number
        with pytest.raises(LoginRefused) as e:
            access.login(f"{n:04d}", "guess guess", None, client="10.0.0.9")
        codes.append(e.value.code)
    assert codes == ["bad_login"] * 11 + ["too_many_attempts"]
    fast_scrypt.clear()
    with pytest.raises(LoginRefused) as e:
        access.login("0517", PASSWORD, None, client="10.0.0.9")
    assert e.value.code == "too_many_attempts" and fast_scrypt == []  # refused without any work
    assert access.login("0517", PASSWORD, None, client="10.0.0.10").staff.staff == "0517"
    mono.t += 61
    assert access.login("0517", PASSWORD, None, client="10.0.0.9").staff.staff == "0517"


def test_parallel_wrong_passwords_cannot_get_past_the_limit(access):
    access.add_staff("0517", "张三", "staff", PASSWORD)
    codes, start = [], threading.Barrier(8)

    def attempt():
        start.wait()
        try:
            access.login("0517", "wrong password", None)
        except LoginRefused as e:
            codes.append(e.code)
    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(codes) == 8 and codes.count("bad_login") <= 2, codes


def test_limits_come_from_the_hall_server_section(queue, demo_config):
    from config.schema import Server
    cfg = demo_config.model_copy(update={"server": Server(listen="127.0.0.1:8080", login_attempts=2, login_lockout_seconds=30,
                                                          session_hours=3)})
    queue.config = cfg
    a = Access(queue)
    try:
        a.add_staff("0517", "张三", "staff", PASSWORD)
        assert a.login("0517", PASSWORD).expires_at == queue.clock().timestamp() + 3 * 3600
        codes = []
        for _ in range(2):
            with pytest.raises(LoginRefused) as e:
                a.login("0517", "wrong password")
            codes.append((e.value.code, e.value.retry_after))
        assert codes == [("bad_login", 0), ("too_many_attempts", 30)]
    finally:
        a.close()


# -- the database ----------------------------------------------------------------------------------
def test_a_database_made_before_0003_migrates_on_open_and_keeps_its_tickets(demo_config, clock, db_path,
                                                                            monkeypatch):
    monkeypatch.setattr(hall_db, "MIGRATIONS", hall_db.MIGRATIONS[:2])
    old = HallQueue(db_path, demo_config, clock)
    number = old.issue("A").number
    old.close()
    monkeypatch.undo()
    conn = sqlite3.connect(db_path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    conn.close()
    assert "devices" not in tables
    q = HallQueue(db_path, demo_config, clock)
    try:
        assert [r[0] for r in q._conn.execute("SELECT name FROM migrations ORDER BY name")][:3] == \
            ["0001_initial", "0002_report_indexes", "0003_access"]
        assert q._conn.execute("SELECT number FROM tickets").fetchone()[0] == number
        a = Access(q)
        assert a.principal_for(a.add_device("kiosk-2", "kiosk")).name == "kiosk-2"
        a.close()
    finally:
        q.close()


def test_a_fresh_database_has_the_access_tables_and_their_indexes(queue):
    names = {r[0] for r in queue._conn.execute("SELECT name FROM sqlite_schema")}
    assert {"devices", "staff", "sessions", "idempotency", "devices_name", "idempotency_at"} <= names
    plan = " ".join(r[3] for r in queue._conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM devices WHERE token_hash = ? AND revoked_at IS NULL", ("x",)))
    assert "USING INDEX" in plan and "SCAN" not in plan
    plan = " ".join(r[3] for r in queue._conn.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM sessions s JOIN staff st ON st.staff = s.staff WHERE s.token_hash = ?",
        ("x",)))
    assert "SCAN" not in plan


def test_access_works_on_an_in_memory_queue(demo_config, clock):
    q = HallQueue(":memory:", demo_config, clock)
    a = Access(q)
    token = a.add_device("kiosk-2", "kiosk")
    assert a.principal_for(token).role == "kiosk"
    a.close()
    q.close()


def test_module_constants_match_the_contract():
    assert access_mod.DEVICE_ROLES == ("kiosk", "screen", "caller", "controller")
    assert access_mod.STAFF_ROLES == ("staff", "manager", "technician")
