"""Bookings (预约) into time slots (号源): book, cancel, 爽约 and suspensions, rate limits.
A mixin of :class:`hall.queue.HallQueue` (its transactions and event log); check-in is in
:mod:`hall.appointments`, the slot arithmetic in :mod:`hall.booking_slots`.

Every booking is a row of ``appointments`` (the CSV imports' table), so imported and
booked appointments fill the same slots. Capacity is counted inside the operation's
``BEGIN IMMEDIATE`` transaction: concurrent attempts at the last place are serialised
by SQLite and exactly one wins. Personal data: the name and mobile number as given
(the mobile is what the reminder outbox texts; a ticket links to its booking through
``tickets.appointment = appointments.code``: :meth:`BookingOps.ticket_mobile`), the ID
number only as an HMAC with the hall's secret salt plus its last 4 characters. Events
(the audit trail) carry codes, services and slots, never personal data.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from . import booking_slots as bs
from .damaged_rows import readable
from .errors import HallError, InvalidArgument, UnknownTicket

DAY_S = 86400.0


class SlotFull(HallError):
    """Every place of the slot is taken (号源已满)."""

    code = "slot_full"


class AlreadyBooked(HallError):
    """The person already holds an active booking of that service that day."""

    code = "already_booked"


class BookingSuspended(HallError):
    """The person may not book: too many no-shows (爽约). ``until``: when it ends."""

    code = "suspended"

    def __init__(self, message: str = "", *, zh: str = "", until: str = ""):
        super().__init__(message, zh=zh)
        self.until = until


class BookingClosed(HallError):
    """That slot or day can no longer be booked or cancelled (cut-off, outside the window)."""

    code = "closed"


class TooManyBookings(HallError):
    """A rate limit of the booking pages (per IP address or mobile number)."""

    code = "too_many_attempts"


@dataclass(frozen=True)
class BookingInfo:
    """A booking as anyone may see it: personal data masked."""

    code: str
    service: str
    service_name: str
    day: str
    start: str  # "2026-11-24T09:30"
    end: str
    status: str  # booked | checked_in | cancelled | no_show
    channel: str  # web | staff | import
    name: str  # masked
    mobile: str  # masked
    id_number: str  # masked
    ticket_id: int | None
    cancellable: bool

    def to_json(self) -> dict:
        return asdict(self)


def mobile_of_ticket(c: sqlite3.Connection, ticket_id: int) -> str | None:
    """The mobile number a ticket's booking was made with (the reminder outbox's number),
    or None: ``tickets.appointment`` is ``appointments.code``. Usable inside any transaction."""
    row = c.execute("SELECT a.mobile FROM tickets t JOIN appointments a ON a.code = t.appointment "
                    "WHERE t.id = ?", (ticket_id,)).fetchone()
    return row[0] if row else None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).isoformat(timespec="minutes")


class BookingOps:
    """Booking operations of the hall queue."""

    # -- plumbing --------------------------------------------------------------------
    @property
    def work_calendar(self):
        cal = getattr(self, "_work_calendar", None)
        if cal is None:
            cal = self._work_calendar = bs.calendar_of(self.config)
        return cal

    def _salt(self, c: sqlite3.Connection) -> bytes:
        row = c.execute("SELECT value FROM meta WHERE key = 'booking_salt'").fetchone()
        if row is None:
            salt = secrets.token_hex(32)
            c.execute("INSERT INTO meta VALUES ('booking_salt', ?)", (salt,))
            return bytes.fromhex(salt)
        return bytes.fromhex(row[0])

    def keyed_digest(self, text: str) -> str:
        """An HMAC of ``text`` with the hall's secret salt (e.g. a form's fingerprint holding
        personal data: kept, it reveals nothing without the database's salt)."""
        with self._tx() as (c, _):
            return bs.id_hash(self._salt(c), text)

    def _info(self, row: sqlite3.Row, now: datetime) -> BookingInfo:
        svc = self._services.get(row["service"])
        cutoff = self.config.booking.cutoff_minutes * 60
        end = row["slot_end"] if row["slot_end"] is not None else row["slot_at"]
        return BookingInfo(row["code"], row["service"], svc.name if svc else row["service"], row["day"],
                           _iso(row["slot_at"]), _iso(end), row["status"], row["channel"],
                           bs.mask_name(row["name"]), bs.mask_mobile(row["mobile"]),
                           bs.mask_id(row["id_last4"]), row["ticket_id"],
                           row["status"] == "booked" and now.timestamp() < row["slot_at"] - cutoff)

    # -- reads -----------------------------------------------------------------------
    def booking_days(self) -> list[date]:
        """The days that may be booked now."""
        return bs.booking_days(self.config, self.work_calendar, self.clock().date())

    def booking_slots(self, service: str, day: date) -> list[dict]:
        """The slots of ``service`` on ``day`` with their places left and whether they may
        still be booked (inside the window, before the cut-off)."""
        self._service(service)
        slots = bs.slots_on(self.config, self.work_calendar, service, day)
        now = self.clock()
        bookable = day in self.booking_days()
        cutoff = timedelta(minutes=self.config.booking.cutoff_minutes)
        with self._lock:
            c = self._conn
            out = []
            for s in slots:
                taken = self._taken(c, s)
                out.append({"service": service, "start": s.start.isoformat(timespec="minutes"),
                            "end": s.end.isoformat(timespec="minutes"), "label": s.label, "capacity": s.capacity,
                            "left": max(0, s.capacity - taken),
                            "open": bookable and now < s.start - cutoff and taken < s.capacity})
        return out

    @staticmethod
    def _taken(c: sqlite3.Connection, s: bs.Slot) -> int:
        return c.execute("SELECT count(*) FROM appointments WHERE service = ? AND slot_at >= ? AND slot_at < ? "
                         "AND status != 'cancelled'",
                         (s.service, s.start.timestamp(), s.end.timestamp())).fetchone()[0]

    def booking(self, code: str) -> BookingInfo | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM appointments WHERE code = ?",
                                     (code.strip().upper(),)).fetchone()
        return self._info(row, self.clock()) if row is not None else None

    def bookings_on(self, day: str, service: str | None = None) -> list[BookingInfo]:
        """The day's bookings (masked), by slot."""
        sql = "SELECT * FROM appointments WHERE day = ?" + (" AND service = ?" if service else "")
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY slot_at, code", (day, service) if service else (day,)).fetchall()
        now = self.clock()
        return readable(rows, lambda r: self._info(r, now), "appointments")

    def booking_mobile_matches(self, code: str, mobile: str) -> bool:
        """Whether ``mobile`` is the mobile number booking ``code`` was made with."""
        try:
            mobile = bs.normalize_mobile(mobile)
        except ValueError:
            return False
        with self._lock:
            row = self._conn.execute("SELECT mobile FROM appointments WHERE code = ?",
                                     (code.strip().upper(),)).fetchone()
        return row is not None and row[0] is not None and secrets.compare_digest(row[0], mobile)

    def ticket_mobile(self, ticket_id: int) -> str | None:
        """The mobile number of the booking a ticket was checked in from (for reminders), or None."""
        with self._lock:
            return mobile_of_ticket(self._conn, ticket_id)

    # -- booking ---------------------------------------------------------------------
    def book(self, service: str, start: datetime, name: str, mobile: str, id_number: str,
             channel: str = "web", by: str | None = None) -> BookingInfo:
        """Book the slot of ``service`` starting at ``start`` for one person; refused when
        the slot is full, past its cut-off or outside the window, when the person holds a
        booking of that service that day, or is suspended for no-shows."""
        svc = self._service(service)
        name = " ".join((name or "").split())
        if not 1 <= len(name) <= 40:
            raise InvalidArgument("please give a name of 1-40 characters", zh="请填写姓名（1-40个字）")
        if not name.isprintable():  # NUL, ESC (a printer command), right-to-left overrides
            raise InvalidArgument("the name holds characters that cannot be shown", zh="姓名中含有无法显示的字符")
        try:
            mobile = bs.normalize_mobile(mobile)
            id_number = bs.normalize_id(id_number)
        except ValueError as e:
            zh, en = bs.split_message(e)
            raise InvalidArgument(en, zh=zh) from None
        if channel not in ("web", "staff"):
            raise InvalidArgument(f"unknown booking channel {channel!r}", zh=f"未知的预约渠道 {channel}")
        self.sweep_no_shows()
        with self._tx() as (c, now):
            slot = next((s for s in bs.slots_on(self.config, self.work_calendar, service, start.date())
                         if s.start == start), None)
            if slot is None:
                raise InvalidArgument(f"{svc.name} has no booking slot at {start:%Y-%m-%d %H:%M}",
                                     zh=f"{svc.name}在{start:%m月%d日 %H:%M}没有预约号源")
            if start.date() not in bs.booking_days(self.config, self.work_calendar, now.date()):
                raise BookingClosed(f"{start:%Y-%m-%d} cannot be booked now", zh=f"{start:%m月%d日}现在不能预约")
            cutoff = self.config.booking.cutoff_minutes
            if now >= slot.start - timedelta(minutes=cutoff):
                raise BookingClosed(f"booking for {slot.label} closed {cutoff} minutes before it",
                                    zh=f"{slot.label}的预约已在开始前{cutoff}分钟截止")
            person = bs.id_hash(self._salt(c), id_number)
            self._refuse_if_suspended(c, now, person)
            day = start.date().isoformat()
            held = c.execute("SELECT code, slot_at FROM appointments WHERE id_hash = ? AND service = ? AND day = ? "
                             "AND status IN ('booked', 'checked_in')", (person, service, day)).fetchone()
            if held is not None:
                raise AlreadyBooked(f"this person already has a booking of {svc.name} on {day} "
                                    f"({datetime.fromtimestamp(held[1]):%H:%M})",
                                    zh=f"您已预约{day} {datetime.fromtimestamp(held[1]):%H:%M}的{svc.name}，"
                                       "同一事项每天只能预约一次")
            if self._taken(c, slot) >= slot.capacity:
                raise SlotFull(f"{svc.name} {slot.label} is fully booked", zh=f"{svc.name} {slot.label} 号源已约满")
            for _ in range(20):
                code = bs.new_code()
                if c.execute("SELECT 1 FROM appointments WHERE code = ?", (code,)).fetchone() is None:
                    break
            c.execute("INSERT INTO appointments (code, service, name, slot_at, day, status, channel, mobile, id_hash, "
                      "id_last4, slot_end, created_at, created_by) VALUES (?, ?, ?, ?, ?, 'booked', ?, ?, ?, ?, ?, ?, ?)",
                      (code, service, name, slot.start.timestamp(), day, channel, mobile, person, id_number[-4:],
                       slot.end.timestamp(), now.timestamp(), by))
            self._event(c, now, "booked", code=code, service=service, slot=slot.start.isoformat(timespec="minutes"),
                        channel=channel, by=by, service_name=svc.name)
            row = c.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
            return self._info(row, now)

    def _refuse_if_suspended(self, c: sqlite3.Connection, now: datetime, person: str) -> None:
        row = c.execute("SELECT until, no_shows FROM booking_suspensions WHERE id_hash = ? AND until > ? "
                        "AND lifted_at IS NULL ORDER BY until DESC LIMIT 1", (person, now.timestamp())).fetchone()
        if row is not None:
            b = self.config.booking
            until = datetime.fromtimestamp(row[0]).strftime("%Y-%m-%d %H:%M")
            count = len(json.loads(row[1]))
            raise BookingSuspended(
                f"booking is suspended until {until}: {count} missed appointments (no-shows) within "
                f"{b.no_show_days} days", until=until,
                zh=f"因{b.no_show_days}天内爽约{count}次，您的预约资格暂停至{until}。如有疑问请咨询大厅工作人员")

    def suspension_for(self, id_number: str) -> dict | None:
        """The active suspension of the holder of ``id_number`` (why and until when), or None."""
        try:
            id_number = bs.normalize_id(id_number)
        except ValueError:
            return None
        with self._tx() as (c, now):
            try:
                self._refuse_if_suspended(c, now, bs.id_hash(self._salt(c), id_number))
            except BookingSuspended as e:
                return {"until": e.until, "message": e.zh, "message_en": str(e)}
        return None

    def cancel_booking(self, code: str, mobile: str | None = None, by: str | None = None) -> BookingInfo:
        """Cancel a booking until its cut-off. ``mobile`` (a citizen cancelling on the page):
        the booking's mobile number, else it is refused as if unknown."""
        code = code.strip().upper()
        with self._tx() as (c, now):
            row = c.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
            if row is not None and mobile is not None:
                try:
                    ok = bs.normalize_mobile(mobile) == row["mobile"]
                except ValueError:
                    ok = False
                row = row if ok else None
            if row is None:
                raise UnknownTicket("no booking with that code and mobile number",
                                    zh="没有找到这个预约（请核对预约码和手机号码）")
            info = self._info(row, now)
            if row["status"] != "booked":
                raise InvalidArgument(f"booking {code} is {row['status']}, it cannot be cancelled",
                                      zh=f"预约 {code} {STATUS_ZH.get(row['status'], row['status'])}，不能取消")
            if not info.cancellable:
                cutoff = self.config.booking.cutoff_minutes
                raise BookingClosed(f"a booking can be cancelled until {cutoff} minutes before its slot",
                                    zh=f"预约须在开始前{cutoff}分钟之前取消，现在已不能取消")
            c.execute("UPDATE appointments SET status = 'cancelled', ended_at = ? WHERE code = ?",
                      (now.timestamp(), code))
            self._event(c, now, "booking_cancelled", code=code, service=row["service"], slot=info.start, by=by)
            return self._info(c.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone(), now)

    # -- 爽约 ------------------------------------------------------------------------
    def sweep_no_shows(self) -> int:
        """Mark bookings not checked in by slot end + grace as no-shows, and suspend whoever
        reached the limit; returns how many were marked. Run by `jiaohao serve` every 30 s
        and before every booking and check-in."""
        with self._tx() as (c, now):
            return self._sweep(c, now)

    def _sweep(self, c: sqlite3.Connection, now: datetime) -> int:
        b = self.config.booking
        ts = now.timestamp()
        rows = c.execute("UPDATE appointments SET status = 'no_show', ended_at = ? WHERE status = 'booked' "
                         "AND slot_end IS NOT NULL AND slot_end + ? < ? RETURNING code, service, slot_at, id_hash",
                         (ts, b.grace_minutes * 60, ts)).fetchall()
        for r in rows:
            self._event(c, now, "booking_no_show", code=r["code"], service=r["service"], slot=_iso(r["slot_at"]))
        for person in {r["id_hash"] for r in rows if r["id_hash"]}:
            last = c.execute("SELECT max(since) FROM booking_suspensions WHERE id_hash = ?", (person,)).fetchone()[0]
            since = max(ts - b.no_show_days * DAY_S, last or 0.0)
            missed = [x[0] for x in c.execute(
                "SELECT code FROM appointments WHERE id_hash = ? AND status = 'no_show' AND slot_at >= ? "
                "ORDER BY slot_at", (person, since))]
            if len(missed) >= b.no_show_limit:
                last4 = c.execute("SELECT id_last4 FROM appointments WHERE id_hash = ? LIMIT 1", (person,)).fetchone()[0]
                until = ts + b.suspend_days * DAY_S
                cur = c.execute("INSERT INTO booking_suspensions (id_hash, id_last4, since, until, no_shows) "
                                "VALUES (?, ?, ?, ?, ?)", (person, last4 or "", ts, until, json.dumps(missed)))
                self._event(c, now, "booking_suspended", suspension=cur.lastrowid, no_shows=missed,
                            until=_iso(until))
        return len(rows)

    def suspensions(self, active_only: bool = True) -> list[dict]:
        """Booking suspensions (ID numbers masked), newest first."""
        now = self.clock().timestamp()
        sql = "SELECT * FROM booking_suspensions"
        if active_only:
            sql += " WHERE until > ? AND lifted_at IS NULL"
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY id DESC", (now,) if active_only else ()).fetchall()
        return [_suspension(r, now) for r in rows]

    def lift_suspension(self, suspension_id: int, reason: str, by: str) -> dict:
        """End a suspension early (a manager), the reason recorded."""
        reason = " ".join((reason or "").split())
        if not 2 <= len(reason) <= 200:
            raise InvalidArgument("give the reason for lifting (2-200 characters)", zh="请填写解除原因（2-200个字）")
        with self._tx() as (c, now):
            row = c.execute("SELECT * FROM booking_suspensions WHERE id = ?", (suspension_id,)).fetchone()
            if row is None:
                raise UnknownTicket(f"no suspension {suspension_id}", zh=f"没有编号为 {suspension_id} 的暂停记录")
            if row["lifted_at"] is not None or row["until"] <= now.timestamp():
                raise InvalidArgument(f"suspension {suspension_id} is no longer in force",
                                      zh=f"暂停记录 {suspension_id} 已不再生效")
            c.execute("UPDATE booking_suspensions SET lifted_at = ?, lifted_by = ?, lift_reason = ? WHERE id = ?",
                      (now.timestamp(), by, reason, suspension_id))
            self._event(c, now, "booking_suspension_lifted", suspension=suspension_id, by=by, reason=reason)
            row = c.execute("SELECT * FROM booking_suspensions WHERE id = ?", (suspension_id,)).fetchone()
            return _suspension(row, now.timestamp())

    # -- rate limits -----------------------------------------------------------------
    def count_attempt(self, kind: str, subject: str, limit: int, per_s: float) -> None:
        """Record one attempt of ``subject`` (an IP address, a mobile number: stored hashed)
        or refuse with :class:`TooManyBookings` once ``limit`` were made within ``per_s``."""
        with self._tx() as (c, now):
            key = hashlib.sha256(self._salt(c) + subject.encode()).hexdigest()[:32]
            ts = now.timestamp()
            if secrets.randbelow(200) == 0:
                c.execute("DELETE FROM booking_attempts WHERE at < ?", (ts - 7 * DAY_S,))
            made = c.execute("SELECT count(*) FROM booking_attempts WHERE kind = ? AND subject = ? AND at > ?",
                             (kind, key, ts - per_s)).fetchone()[0]
            if made >= limit:
                raise TooManyBookings(f"too many attempts ({limit} per {int(per_s // 60)} minutes); try again later",
                                      zh="操作过于频繁，请稍后再试")
            c.execute("INSERT INTO booking_attempts VALUES (?, ?, ?)", (kind, key, ts))


STATUS_ZH = {"booked": "已预约", "checked_in": "已签到", "cancelled": "已取消", "no_show": "已爽约"}


def _suspension(r: sqlite3.Row, now: float) -> dict:
    return {"id": r["id"], "id_number": bs.mask_id(r["id_last4"]), "since": _iso(r["since"]),
            "until": _iso(r["until"]), "no_shows": json.loads(r["no_shows"]),
            "active": r["lifted_at"] is None and r["until"] > now,
            "lifted_at": _iso(r["lifted_at"]) if r["lifted_at"] else None,
            "lifted_by": r["lifted_by"], "lift_reason": r["lift_reason"]}
