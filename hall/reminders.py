"""叫号提醒: a ticket that carries a mobile number gets a message when it reaches N people
ahead and when it is called, through the outbox (hall/outbox.py) to ``[notify] webhook``.

A number comes from the status page (the citizen types it) or from a booking
(:func:`add`). Each message is queued once: the reminder row records it was queued, in
the same transaction as the outbox record, whose dedupe key (``remind:<ticket id>:ahead``
or ``:called``) stops a second one even if two workers raced. The mobile number is in
the payload and the database only: never in a URL, a log line or an event.
"""
from __future__ import annotations

import logging
import re
import sqlite3
from datetime import datetime

log = logging.getLogger(__name__)

CHANNEL = "notify"
MOBILE_RE = re.compile(r"1[3-9]\d{9}")  # a mainland mobile number


def clean_mobile(text: str) -> str | None:
    """``"138 0013 8000"``, ``"+86 13800138000"`` -> ``"13800138000"``; None when not a mobile number."""
    digits = re.sub(r"[\s\-()]", "", text or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if MOBILE_RE.fullmatch(digits) else None


def masked(mobile: str) -> str:
    """``13800138000`` -> ``138****8000`` (what a page may show)."""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 8 else "****"


def add(conn: sqlite3.Connection, ticket_id: int, mobile: str, ahead: int, at: float) -> None:
    """Remind ``mobile`` about the ticket (inside the caller's transaction); a second call
    replaces the number and N (a message already queued is not queued again)."""
    conn.execute("INSERT INTO ticket_reminders (ticket_id, mobile, ahead, created_at) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (ticket_id) DO UPDATE SET mobile = excluded.mobile, ahead = excluded.ahead",
                 (ticket_id, mobile, ahead, at))


def reminder_of(conn: sqlite3.Connection, ticket_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT mobile, ahead, ahead_sent_at, called_sent_at FROM ticket_reminders "
                        "WHERE ticket_id = ?", (ticket_id,)).fetchone()


class Reminders:
    """Finds the reminders that are due and queues them in the outbox."""

    def __init__(self, queue, config) -> None:
        self.queue, self.config = queue, config
        self.queued = 0  # messages queued by this process (a figure for tests)
        self._booked: bool | None = None  # whether appointments carry mobile numbers (migration 0009)

    def adopt_bookings(self, conn: sqlite3.Connection) -> int:
        """Give each open ticket of a booking that carries a mobile number (docs/booking.md)
        its reminder, at ``[notify] ahead``; the number of reminders added."""
        if self._booked is None:
            self._booked = any(r[1] == "mobile" for r in conn.execute("PRAGMA table_info(appointments)"))
        if not self._booked:
            return 0
        no_reminder = "AND a.mobile IS NOT NULL AND a.mobile != '' AND NOT EXISTS " \
                      "(SELECT 1 FROM ticket_reminders r WHERE r.ticket_id = t.id)"
        # the waiting tickets (a partial index) and those being served (checked in and called
        # at once): never a scan of every day's tickets
        rows = conn.execute(
            "SELECT t.id, a.mobile FROM tickets t JOIN appointments a ON a.code = t.appointment "
            f"WHERE t.status = 'waiting' AND t.appointment IS NOT NULL {no_reminder} "
            "UNION SELECT t.id, a.mobile FROM windows w JOIN tickets t ON t.id = w.current_ticket "
            f"JOIN appointments a ON a.code = t.appointment WHERE t.status = 'called' {no_reminder}").fetchall()
        rows = [(tid, clean_mobile(m)) for tid, m in rows if clean_mobile(m)]
        if not rows:
            return 0
        with self.queue.transaction() as (c, now):
            for tid, mobile in rows:
                c.execute("INSERT OR IGNORE INTO ticket_reminders (ticket_id, mobile, ahead, created_at) "
                          "VALUES (?, ?, ?, ?)", (tid, mobile, self.config.notify.ahead, now.timestamp()))
        return len(rows)

    def pending(self, conn: sqlite3.Connection, services: set[str] | None, tickets: set[int]) -> list[sqlite3.Row]:
        """Reminders not fully sent of today's open tickets in ``services`` (None: all) or ``tickets``."""
        rows = conn.execute(  # a day's reminders at most: older tickets have expired
            "SELECT r.ticket_id, r.mobile, r.ahead AS threshold, r.ahead_sent_at, r.called_sent_at, t.service, "
            "t.status, t.token FROM ticket_reminders r JOIN tickets t ON t.id = r.ticket_id "
            "WHERE r.called_sent_at IS NULL AND r.created_at >= ? AND t.status IN ('waiting', 'called')",
            (self.queue.clock().timestamp() - 86400,)).fetchall()
        if services is None:
            return rows
        return [r for r in rows if r["service"] in services or r["ticket_id"] in tickets]

    def send_due(self, rows: list[sqlite3.Row], statuses: dict[int, dict]) -> int:
        """Queue the messages now due (``statuses``: hall.ticket_status of those tickets)."""
        due = []
        for r in rows:
            st = statuses.get(r["ticket_id"])
            if st is None:
                continue
            if st["state"] == "called" and r["called_sent_at"] is None:
                due.append((r, "called", st))
            elif st["state"] == "waiting" and r["ahead_sent_at"] is None and st["ahead"] <= r["threshold"]:
                due.append((r, "ahead", st))
        if not due:
            return 0
        from . import outbox
        from .public_url import status_url
        n = 0
        with self.queue.transaction() as (c, now):
            at = now.timestamp()
            for r, kind, st in due:
                payload = self.payload(kind, r["mobile"], st, status_url(self.config, r["token"]), now)
                if outbox.enqueue(c, CHANNEL, payload, f"remind:{r['ticket_id']}:{kind}", at):
                    n += 1
                column = "called_sent_at" if kind == "called" else "ahead_sent_at"
                c.execute(f"UPDATE ticket_reminders SET {column} = ? WHERE ticket_id = ?", (at, r["ticket_id"]))
                if kind == "called":  # called before the "N ahead" one went: that one is moot
                    c.execute("UPDATE ticket_reminders SET ahead_sent_at = coalesce(ahead_sent_at, ?) "
                              "WHERE ticket_id = ?", (at, r["ticket_id"]))
        self.queued += n
        if n:
            log.info("叫号提醒: %d message(s) queued for [notify] webhook", n)
        return n

    def payload(self, kind: str, mobile: str, st: dict, url: str, now: datetime) -> dict:
        """What the webhook receives (docs/phone.md)."""
        hall = self.config.hall.name
        if kind == "called":
            text = f"【{hall}】请{st['number']}号到{st.get('window')}号窗口办理{st['service_name']}。"
        elif st["ahead"] == 0:
            text = f"【{hall}】{st['number']}号（{st['service_name']}）马上就到您了，请到窗口附近等候叫号。"
        else:
            text = (f"【{hall}】{st['number']}号（{st['service_name']}）前面还有{st['ahead']}人，"
                    f"约{st['wait_minutes']}分钟，请回到大厅等候叫号。")
        return {"kind": kind, "mobile": mobile, "hall": hall, "number": st["number"],
                "service": st["service"], "service_name": st["service_name"], "ahead": st["ahead"],
                "wait_minutes": st["wait_minutes"], "window": st.get("window"), "status_url": url,
                "text": text, "at": now.isoformat(timespec="seconds")}


def destinations(config) -> dict:
    """``[notify] webhook`` as the outbox's ``notify`` channel (hall.outbox.DESTINATION_FACTORIES)."""
    from . import outbox
    n = getattr(config, "notify", None)
    if n is None or not n.webhook:
        return {}
    return {CHANNEL: outbox.Destination(n.webhook, headers=dict(n.headers), timeout_s=n.timeout_s)}
