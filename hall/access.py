"""Who may use the hall API: device tokens, staff accounts and their login sessions, kept
in the queue database (tables of migration ``0003_access``; docs/api.md "Credentials").

Device and session tokens are 256-bit random strings with a prefix that says what they
are (``jhd_`` a device, ``jhs_`` a staff session); only their SHA-256 is stored, so a
copy of the database (a backup) holds no usable token. Staff passwords are salted scrypt
hashes (:mod:`hall.passwords`).

Changes go through the queue's transactions, each with its event; the events that end
credentials carry ``token_ids`` (the ids of :attr:`Principal.token_id`), so the event
stream's hub closes the streams of exactly those tokens:

- ``device_added`` {name, role, windows}
- ``device_revoked`` {name, role, token_ids}
- ``staff_added`` {staff, name, role}
- ``staff_password_changed`` {staff, token_ids}: that person's sessions end
- ``staff_disabled`` {staff, token_ids}: that person's sessions end
- ``staff_enabled`` {staff}
- ``session_ended`` {staff, reason: "logout", token_ids} (its window in the event's ``window``)

A staff login (:meth:`Access.login`) is checked against the failed-login counts kept in
memory (:mod:`hall.login_throttle`): `jiaohao serve` is the one process that logs people in.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .damaged_rows import number, readable
from .db import _open
from .errors import (HallError, InvalidArgument, LoginRefused, UnknownDevice, UnknownStaff,
                     UnknownWindow)
from .login_throttle import LoginThrottle
from .passwords import burn_time, hash_secret, verify_secret

log = logging.getLogger(__name__)

DEVICE_ROLES = ("kiosk", "screen", "caller", "controller")
STAFF_ROLES = ("staff", "manager", "technician")
DEVICE_PREFIX, SESSION_PREFIX = "jhd_", "jhs_"
MIN_PASSWORD, MAX_PASSWORD = 8, 200
MAX_TOKEN = 100  # a real token is 47 characters
LAST_SEEN_EVERY_S = 60.0  # a device's last_seen_at is written at most this often
ADDRESS_FACTOR = 4  # one client address may fail this many times login_attempts (over all staff numbers)

_DEVICE_NAME = re.compile(r"^\w[\w.-]{0,39}$")
_STAFF_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")

__all__ = ["Access", "Device", "LoginRefused", "Principal", "Session", "StaffMember",
           "DEVICE_ROLES", "STAFF_ROLES", "password_problem", "token_hash"]


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token: a device or a logged-in person."""

    kind: str  # "device" | "staff"
    name: str  # device name, or the staff number (工号)
    role: str  # one of DEVICE_ROLES or STAFF_ROLES
    windows: tuple[int, ...] = ()  # windows it may act on; () = any (caller device) or none (session not at a window)
    display_name: str = ""  # a person's name (张三)
    token_id: str = ""  # the stored hash's first 16 hex digits: names the token in logs, never the token


@dataclass(frozen=True)
class Device:
    name: str
    role: str
    windows: tuple[int, ...]
    created_at: float
    revoked_at: float | None
    last_seen_at: float | None = None


@dataclass(frozen=True)
class StaffMember:
    staff: str
    name: str
    role: str
    created_at: float
    disabled_at: float | None


@dataclass(frozen=True)
class Session:
    token: str  # given once to the client
    staff: StaffMember
    window: int | None
    expires_at: float


def token_hash(token: str) -> str:
    """SHA-256 hex of a token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be a staff password (English), or None."""
    if len(password) < MIN_PASSWORD:
        return f"a password has at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    if not password.strip() or any(ord(ch) < 32 for ch in password):
        return "a password cannot be blank or hold control characters"
    return None


def _windows_text(windows: tuple[int, ...]) -> str:
    return ",".join(str(w) for w in windows)


def _windows_of(text: str) -> tuple[int, ...]:
    return tuple(int(w) for w in text.split(",") if w)


class Access:
    """Devices, staff and sessions on the hall database (its own connection; thread-safe).

    ``login_attempts`` / ``lockout_seconds`` default to the hall's ``[server]`` section;
    ``monotonic`` is the lock-outs' clock (tests move it)."""

    def __init__(self, queue, *, login_attempts: int | None = None, lockout_seconds: float | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._queue = queue
        server = getattr(queue.config, "server", None)
        attempts = login_attempts or (server.login_attempts if server else 5)
        lockout = lockout_seconds or (server.login_lockout_seconds if server else 60)
        self.session_hours = server.session_hours if server else 12.0
        self._staff_throttle = LoginThrottle(attempts, lockout, monotonic)
        self._address_throttle = LoginThrottle(attempts * ADDRESS_FACTOR, lockout, monotonic,
                                              forget_on_success=False)
        self._monotonic = monotonic
        from .readonly import ReadOnlyQueue
        if queue.path == ":memory:" or isinstance(queue, ReadOnlyQueue):  # share the queue's connection
            self._conn, self._lock, self._own = queue._conn, queue._lock, False
        else:
            self._conn, self._lock, self._own = _open(queue.path, 15.0), threading.Lock(), True
            self._conn.execute("PRAGMA query_only = ON")
        self._seen: dict[int, float] = {}  # device id -> hall time seen, not yet written
        self._seen_written = monotonic()
        self._seen_lock = threading.Lock()

    def close(self) -> None:
        self.flush_last_seen()
        if self._own:
            with self._lock:
                self._conn.close()

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _now_ts(self) -> float:
        return self._queue.clock().timestamp()

    # -- devices ---------------------------------------------------------------------
    def add_device(self, name: str, role: str, windows: tuple[int, ...] = ()) -> str:
        """A new device; returns its token (shown once, stored only as a hash)."""
        name = (name or "").strip()
        if not _DEVICE_NAME.match(name):
            raise InvalidArgument(f"device name {name!r}: 1-40 letters, digits, '.', '-' or '_', no spaces "
                                  "(e.g. kiosk-2)",
                                  zh=f"设备名称“{name}”无效：1-40 个字母、数字、“.”、“-”或“_”，"
                                     "不含空格（例如 kiosk-2）")
        if role not in DEVICE_ROLES:
            raise InvalidArgument(f"device role {role!r}: one of {', '.join(DEVICE_ROLES)}",
                                  zh=f"设备角色“{role}”无效，可选：{'、'.join(DEVICE_ROLES)}")
        windows = tuple(sorted(set(windows)))
        if windows and role != "caller":
            raise InvalidArgument("only a caller device is bound to windows (--window)",
                                  zh="只有叫号器（caller）设备可以绑定窗口（--window）")
        for w in windows:
            if w not in self._queue._windows:
                raise UnknownWindow(f"unknown window {w}", zh=f"没有 {w} 号窗口")
        token = DEVICE_PREFIX + secrets.token_urlsafe(32)
        with self._queue.transaction() as (c, now):
            if c.execute("SELECT 1 FROM devices WHERE name = ? AND revoked_at IS NULL", (name,)).fetchone():
                raise InvalidArgument(f"a device named {name} exists; revoke it first to give it a new token",
                                      zh=f"设备 {name} 已存在；要换新令牌请先吊销它")
            c.execute("INSERT INTO devices (name, role, windows, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                      (name, role, _windows_text(windows), token_hash(token), now.timestamp()))
            self._queue._event(c, now, "device_added", name=name, role=role, windows=list(windows))
        log.info("device %s added (%s)", name, role)
        return token

    def devices(self) -> list[Device]:
        """Every device, revoked ones too, by name."""
        self.flush_last_seen()
        rows = self._read("SELECT * FROM devices ORDER BY name, id")
        return readable(rows, lambda r: Device(r["name"], r["role"], _windows_of(r["windows"]), number(r["created_at"]),
                                               number(r["revoked_at"]), number(r["last_seen_at"])), "devices")

    def revoke_device(self, name: str) -> Device:
        """Revoke the device's token at once; event ``device_revoked`` closes its streams."""
        with self._queue.transaction() as (c, now):
            row = c.execute("SELECT * FROM devices WHERE name = ? AND revoked_at IS NULL", (name,)).fetchone()
            if row is None:
                raise UnknownDevice(f"no device named {name} (or it is revoked already): see `jiaohao devices list`",
                                    zh=f"没有名为 {name} 的有效设备（或已吊销）：见 jiaohao devices list")
            ts = now.timestamp()
            c.execute("UPDATE devices SET revoked_at = ? WHERE id = ?", (ts, row["id"]))
            self._queue._event(c, now, "device_revoked", name=name, role=row["role"],
                               token_ids=[row["token_hash"][:16]])
        log.info("device %s revoked", name)
        return Device(name, row["role"], _windows_of(row["windows"]), row["created_at"], ts, row["last_seen_at"])

    # -- staff -----------------------------------------------------------------------
    def add_staff(self, staff: str, name: str, role: str, password: str) -> StaffMember:
        staff, name = self._check_staff_number(staff), " ".join((name or "").split())
        if not 1 <= len(name) <= 40:
            raise InvalidArgument("a staff member's name has 1-40 characters", zh="姓名须为 1-40 个字")
        if not name.isprintable():  # an escape sequence in every page footer and the caller's title
            raise InvalidArgument("a staff member's name cannot hold control characters", zh="姓名中含有无法显示的字符")
        if role not in STAFF_ROLES:
            raise InvalidArgument(f"staff role {role!r}: one of {', '.join(STAFF_ROLES)}",
                                  zh=f"人员角色“{role}”无效，可选：{'、'.join(STAFF_ROLES)}")
        self._check_password(password)
        hashed = hash_secret(password)
        with self._queue.transaction() as (c, now):
            if c.execute("SELECT 1 FROM staff WHERE staff = ?", (staff,)).fetchone():
                raise InvalidArgument(f"staff number {staff} exists already", zh=f"工号 {staff} 已存在")
            c.execute("INSERT INTO staff (staff, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                      (staff, name, role, hashed, now.timestamp()))
            self._queue._event(c, now, "staff_added", staff=staff, name=name, role=role)
        return StaffMember(staff, name, role, now.timestamp(), None)

    def set_password(self, staff: str, password: str) -> None:
        """A new password; that person's open sessions end."""
        self._check_password(password)
        hashed = hash_secret(password)
        with self._queue.transaction() as (c, now):
            self._staff_row(c, staff)
            c.execute("UPDATE staff SET password_hash = ?, password_changed_at = ? WHERE staff = ?",
                      (hashed, now.timestamp(), staff))
            ended = self._end_sessions(c, now.timestamp(), "password", staff=staff)
            self._queue._event(c, now, "staff_password_changed", staff=staff, token_ids=ended)

    def disable_staff(self, staff: str) -> StaffMember:
        """No more logins; open sessions end (event ``staff_disabled``). Disabling twice changes nothing."""
        with self._queue.transaction() as (c, now):
            row = self._staff_row(c, staff)
            if row["disabled_at"] is None:
                ts = now.timestamp()
                c.execute("UPDATE staff SET disabled_at = ? WHERE staff = ?", (ts, staff))
                ended = self._end_sessions(c, ts, "disabled", staff=staff)
                self._queue._event(c, now, "staff_disabled", staff=staff, token_ids=ended)
            row = self._staff_row(c, staff)
        return self._member(row)

    def enable_staff(self, staff: str) -> StaffMember:
        """Allow logins again after :meth:`disable_staff`."""
        with self._queue.transaction() as (c, now):
            row = self._staff_row(c, staff)
            if row["disabled_at"] is not None:
                c.execute("UPDATE staff SET disabled_at = NULL WHERE staff = ?", (staff,))
                self._queue._event(c, now, "staff_enabled", staff=staff)
            row = self._staff_row(c, staff)
        return self._member(row)

    def staff(self) -> list[StaffMember]:
        """Every staff member, disabled ones too, by staff number."""
        return readable(self._read("SELECT * FROM staff ORDER BY staff"), self._listed, "staff")

    @classmethod
    def _listed(cls, r: sqlite3.Row) -> StaffMember:
        """A member for the list: a damaged time leaves the row out (that person still logs in)."""
        number(r["created_at"]), number(r["disabled_at"])
        return cls._member(r)

    @staticmethod
    def _member(r: sqlite3.Row) -> StaffMember:
        return StaffMember(r["staff"], r["name"], r["role"], r["created_at"], r["disabled_at"])

    @staticmethod
    def _check_staff_number(staff: str) -> str:
        staff = (staff or "").strip()
        if not _STAFF_NUMBER.match(staff):
            raise InvalidArgument(f"staff number {staff!r}: 1-20 letters, digits, '-' or '_' (e.g. 0517)",
                                  zh=f"工号“{staff}”无效：1-20 个字母、数字、“-”或“_”（例如 0517）")
        return staff

    @staticmethod
    def _check_password(password: str) -> None:
        problem = password_problem(password or "")
        if problem:
            raise InvalidArgument(problem, zh=f"密码至少 {MIN_PASSWORD} 个字符、至多 {MAX_PASSWORD} 个字符，"
                                              "不能全是空格或含控制字符")

    @staticmethod
    def _staff_row(c: sqlite3.Connection, staff: str) -> sqlite3.Row:
        row = c.execute("SELECT * FROM staff WHERE staff = ?", (staff,)).fetchone()
        if row is None:
            raise UnknownStaff(f"no staff number {staff}: see `jiaohao staff list`",
                               zh=f"没有工号 {staff}：见 jiaohao staff list")
        return row

    @staticmethod
    def _end_sessions(c: sqlite3.Connection, ts: float, reason: str, *, staff: str | None = None,
                      session_id: int | None = None) -> list[str]:
        """End open sessions (of a person, or one); the token ids ended."""
        where, arg = ("staff = ?", staff) if session_id is None else ("id = ?", session_id)
        rows = c.execute(f"UPDATE sessions SET ended_at = ?, end_reason = ? WHERE {where} AND ended_at IS NULL "
                         "AND expires_at > ? RETURNING token_hash", (ts, reason, arg, ts)).fetchall()
        return sorted(r[0][:16] for r in rows)

    # -- sessions --------------------------------------------------------------------
    def login(self, staff: str, password: str, window: int | None = None, hours: float | None = None,
              client: str | None = None) -> Session:
        """A session for a staff member (at ``window`` when given), lasting ``hours``
        (default ``[server] session_hours``). ``client``: the caller's address, for the
        per-address bound on failed logins.

        Raises :class:`LoginRefused`: ``bad_login`` for an unknown staff number, a wrong
        password or a disabled account alike (same answer, same time: scrypt runs in every
        case), ``too_many_attempts`` with ``retry_after`` during a lock-out. It does not log
        the window in (``HallQueue.login`` does: the route calls both)."""
        hours = self.session_hours if hours is None else hours
        if not 0 < hours <= 24 * 7:
            raise InvalidArgument("a session lasts more than 0 and at most 168 hours", zh="会话时长须在 0-168 小时之间")
        if window is not None and window not in self._queue._windows:
            raise UnknownWindow(f"unknown window {window}", zh=f"没有 {window} 号窗口")
        staff = staff.strip() if isinstance(staff, str) else ""
        password = password if isinstance(password, str) else ""
        keys = [(self._staff_throttle, staff[:40])]
        if client:
            keys.append((self._address_throttle, client))
        begun = []
        for throttle, key in keys:
            wait = throttle.begin(key)
            if wait:
                for t, k in begun:
                    t.cancel(k)
                raise self._too_many(wait)
            begun.append((throttle, key))
        ok, row = False, None
        try:
            rows = self._read("SELECT * FROM staff WHERE staff = ?", (staff,))
            row = rows[0] if rows else None
            if row is None or not password:  # scrypt runs all the same: the answer takes as long
                burn_time(password)
            else:
                ok = verify_secret(password, row["password_hash"]) and row["disabled_at"] is None
        finally:
            waits = [throttle.end(key, ok) for throttle, key in begun]
        if not ok:
            wait = max(waits)
            log.info("failed login of staff number %r from %s", staff[:40], client or "?")
            if wait:
                raise self._too_many(wait)
            raise LoginRefused("bad_login", 0, "wrong staff number or password", zh="工号或密码错误")
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        with self._queue.transaction() as (c, now):
            expires = now.timestamp() + hours * 3600
            c.execute("INSERT INTO sessions (token_hash, staff, window, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                      (token_hash(token), row["staff"], window, now.timestamp(), expires))
        log.info("staff %s logged in%s", row["staff"], f" at window {window}" if window else "")
        return Session(token, self._member(row), window, expires)

    @staticmethod
    def _too_many(wait: float) -> LoginRefused:
        seconds = max(1, int(wait + 0.999))
        return LoginRefused("too_many_attempts", seconds,
                            f"too many failed logins; try again in {seconds} s",
                            zh=f"登录失败次数过多，请 {seconds} 秒后再试")

    def logout(self, token: str) -> None:
        """End the session of ``token`` (event ``session_ended``). An unknown, expired or
        ended session token changes nothing."""
        if not isinstance(token, str) or not token.startswith(SESSION_PREFIX):
            raise InvalidArgument("only a staff session logs out; a device's token is revoked with "
                                  "`jiaohao devices revoke`",
                                  zh="只有人员登录可以退出；设备令牌请用 jiaohao devices revoke 吊销")
        digest = token_hash(token)
        with self._queue.transaction() as (c, now):
            row = c.execute("SELECT id, staff, window FROM sessions WHERE token_hash = ?", (digest,)).fetchone()
            if row is None:
                return
            ended = self._end_sessions(c, now.timestamp(), "logout", session_id=row["id"])
            if ended:
                self._queue._event(c, now, "session_ended", staff=row["staff"], window=row["window"],
                                   reason="logout", token_ids=ended)

    # -- every request -------------------------------------------------------------------
    def principal_for(self, token: str) -> Principal | None:
        """Who holds ``token``; None when unknown, revoked, ended or expired. One indexed
        lookup on this object's own connection (revocations by other processes count at once)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN:
            return None
        if token.startswith(DEVICE_PREFIX):
            return self._device_principal(token)
        if token.startswith(SESSION_PREFIX):
            return self._session_principal(token)
        return None

    def _device_principal(self, token: str) -> Principal | None:
        digest = token_hash(token)
        with self._lock:
            row = self._conn.execute("SELECT id, name, role, windows, token_hash FROM devices "
                                     "WHERE token_hash = ? AND revoked_at IS NULL", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row[4], digest):
            return None
        self._saw(row[0])
        return Principal("device", row[1], row[2], _windows_of(row[3]), "", digest[:16])

    def _session_principal(self, token: str) -> Principal | None:
        digest = token_hash(token)
        with self._lock:
            row = self._conn.execute(
                "SELECT s.token_hash, s.window, s.expires_at, st.staff, st.name, st.role FROM sessions s "
                "JOIN staff st ON st.staff = s.staff WHERE s.token_hash = ? AND s.ended_at IS NULL "
                "AND st.disabled_at IS NULL", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row[0], digest) or row[2] <= self._now_ts():
            return None
        return Principal("staff", row[3], row[5], (row[1],) if row[1] is not None else (), row[4], digest[:16])

    def _saw(self, device_id: int) -> None:
        """Remember that a device was seen; written with the others at most once a minute."""
        with self._seen_lock:
            self._seen[device_id] = self._now_ts()
            due = self._monotonic() - self._seen_written >= LAST_SEEN_EVERY_S
        if due:
            self.flush_last_seen()

    def flush_last_seen(self) -> None:
        """Write the devices' last-seen times kept in memory (a failure only delays them)."""
        with self._seen_lock:
            seen, self._seen = self._seen, {}
            self._seen_written = self._monotonic()
        if not seen:
            return
        try:
            with self._queue.transaction() as (c, _):
                c.executemany("UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, 0), ?) WHERE id = ?",
                              [(ts, i) for i, ts in seen.items()])
        except (sqlite3.Error, HallError) as e:
            log.warning("devices' last-seen times not written now: %s", e)
            with self._seen_lock:
                for i, ts in seen.items():
                    self._seen.setdefault(i, ts)
