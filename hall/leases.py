"""Kiosk number leases: how a kiosk keeps issuing while the hall server cannot be reached
(docs/network.md, "Offline issue").

- :meth:`LeaseBook.grant`: each kiosk holds, per ticket prefix and business day, one
  open lease: a block of ``[kiosk] lease_size`` numbers taken from the day's counter
  (``counters.last_seq``) exactly as issuing takes one, so no other kiosk, window or
  script can ever be given them. A kiosk asking again keeps its lease while nothing of it
  was used; a lease some of whose numbers came back as offline tickets is closed and a
  fresh one granted.
- Unused leased numbers are never tickets: the hall screen shows numbers as they are
  called, so a number nobody holds is simply never called, and reports count tickets,
  never counters. A lease given back (:meth:`LeaseBook.give_back`: the kiosk closes
  cleanly with nothing left to send) while it is still the top of its counter steps the
  counter back, so a kiosk that never went offline leaves no gap at all. A lease of an earlier
  day is ``expired`` (numbers restart each day); one whose kiosk has not asked for it for
  ``offline_max_minutes`` too (its numbers stay reserved: the kiosk may still upload).
- :meth:`LeaseBook.merge`: the offline tickets a kiosk uploads, once per kiosk ticket id
  (``local_id``), in issue-time order. A ticket's time is the kiosk's clock when it
  printed it plus the server-minus-kiosk offset the kiosk last measured (else the offset
  measured from the upload itself), kept within [lease granted, now]: its ``sort_key``,
  so a citizen who took a ticket offline at 10:02 is called before one who came at 10:03.
- Status pages: an offline ticket's token (its QR code, ``/t/<token>``) is made by the
  kiosk (hall/ticket_token.py) with the lease answer's ``status_base``; the merge keeps
  it when well formed and unused (else the database makes one, and the merged ticket
  the kiosk gets back says which).
- Clocks: every lease request carries the kiosk's clock; the offset is kept per device
  (``device_clocks``) and a device whose clock is off by more than ``[server]
  max_clock_skew_s`` is flagged (a ``clock_skew`` event when that changes).
"""
from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime

from . import rules
from .clock import business_day
from .errors import InvalidArgument, UnknownService
from .public_url import public_base
from .ticket_token import is_token

log = logging.getLogger(__name__)

DEFAULT_MAX_SKEW_S = 120.0
MAX_UPLOAD = 1000  # offline tickets in one upload


def lease_size(config, prefix: str) -> int:
    k = config.kiosk
    return int((getattr(k, "lease_sizes", None) or {}).get(prefix, getattr(k, "lease_size", 0)))


def max_skew_s(config) -> float:
    server = getattr(config, "server", None)
    return float(server.max_clock_skew_s) if server is not None else DEFAULT_MAX_SKEW_S


def _lease_json(row: sqlite3.Row) -> dict:
    return {"id": row["id"], "day": row["day"], "prefix": row["prefix"], "first_seq": row["first_seq"],
            "last_seq": row["last_seq"], "used": row["used"], "state": row["state"],
            "granted_at": datetime.fromtimestamp(row["granted_at"]).isoformat(timespec="seconds")}


class LeaseBook:
    """The leases, offline tickets and device clocks of one :class:`hall.HallQueue`."""

    def __init__(self, queue):
        self.queue = queue

    # -- clocks ------------------------------------------------------------------------
    def note_clock(self, c: sqlite3.Connection, now: datetime, device: str, device_time: float) -> dict:
        """Record ``device``'s clock reading ``device_time`` (epoch seconds) taken now."""
        offset = now.timestamp() - float(device_time)
        bound = max_skew_s(self.queue.config)
        flagged = abs(offset) > bound
        old = c.execute("SELECT flagged FROM device_clocks WHERE device = ?", (device,)).fetchone()
        c.execute("INSERT INTO device_clocks VALUES (?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET "
                  "offset_s = excluded.offset_s, measured_at = excluded.measured_at, flagged = excluded.flagged",
                  (device, offset, now.timestamp(), int(flagged)))
        if (old is None and flagged) or (old is not None and bool(old[0]) != flagged):
            if flagged:
                log.warning("the clock of %s is %+.0f s off the hall server's (bound %.0f s)", device, -offset, bound)
            self.queue._event(c, now, "clock_skew", device=device, offset_s=round(offset, 1),
                              flagged=flagged, bound_s=bound)
        return {"offset_s": round(offset, 3), "skew_flagged": flagged, "max_clock_skew_s": bound}

    # -- leases ------------------------------------------------------------------------
    def prefixes(self) -> list[str]:
        return list(dict.fromkeys(s.ticket_prefix for s in self.queue.config.services))

    def grant(self, kiosk: str, kiosk_time: float | None = None, prefixes: list[str] | None = None) -> dict:
        """This kiosk's open leases for today, one per prefix (granted where missing or used).
        A used lease is replaced without giving its tail back: the kiosk may still print
        from it until it has the new one (those tickets are merged all the same)."""
        q = self.queue
        known = self.prefixes()
        wanted = known if prefixes is None else list(dict.fromkeys(prefixes))
        for p in wanted:
            if p not in known:
                raise UnknownService(f"no service has the ticket prefix {p!r}", zh=f"没有业务使用号头 {p}")
        with q.transaction() as (c, now):
            ts, day = now.timestamp(), business_day(now)
            clock = self.note_clock(c, now, kiosk, kiosk_time) if kiosk_time is not None else {}
            self._expire(c, now, day)
            out = []
            for prefix in wanted:
                size = lease_size(q.config, prefix)
                row = c.execute("SELECT * FROM leases WHERE kiosk = ? AND prefix = ? AND state = 'open' "
                                "ORDER BY id DESC LIMIT 1", (kiosk, prefix)).fetchone()
                if row is not None and (row["used"] or row["last_seq"] - row["first_seq"] + 1 != size):
                    self._close(c, now, row, "replaced")  # partly used offline (or resized): a fresh one
                    row = None
                if row is None and size > 0:
                    last = c.execute("INSERT INTO counters VALUES (?, ?, ?) ON CONFLICT (day, prefix) "
                                     "DO UPDATE SET last_seq = last_seq + ? RETURNING last_seq",
                                     (day, prefix, size, size)).fetchone()[0]
                    lease_id = c.execute(
                        "INSERT INTO leases (kiosk, day, prefix, first_seq, last_seq, granted_at, renewed_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", (kiosk, day, prefix, last - size + 1, last, ts, ts)).lastrowid
                    row = c.execute("SELECT * FROM leases WHERE id = ?", (lease_id,)).fetchone()
                    q._event(c, now, "lease_granted", kiosk=kiosk, prefix=prefix, lease=lease_id,
                             first=row["first_seq"], last=row["last_seq"])
                elif row is not None:
                    c.execute("UPDATE leases SET renewed_at = ? WHERE id = ?", (ts, row["id"]))
                if row is not None:
                    out.append(_lease_json(row))
            return {"day": day, "server_time": ts, "now": now.isoformat(timespec="milliseconds"), **clock,
                    "status_base": public_base(q.config),
                    "offline_max_minutes": q.config.kiosk.offline_max_minutes, "leases": out}

    def give_back(self, kiosk: str) -> dict:
        """Close every open lease of ``kiosk`` (it shuts down cleanly, or a technician retires it)."""
        with self.queue.transaction() as (c, now):
            # (the kiosk calls this only with no offline ticket left to send)
            rows = c.execute("SELECT * FROM leases WHERE kiosk = ? AND state = 'open'", (kiosk,)).fetchall()
            returned = sum(self._close(c, now, r, "closed") for r in rows)
            return {"closed": len(rows), "numbers_returned": returned}

    def _close(self, c: sqlite3.Connection, now: datetime, row: sqlite3.Row, state: str) -> int:
        """Close a lease; its unused tail goes back to the counter when nothing was issued
        after it. How many numbers went back."""
        top = c.execute("SELECT max(t.seq) FROM lease_tickets l JOIN tickets t ON t.id = l.ticket_id "
                        "WHERE l.lease_id = ?", (row["id"],)).fetchone()[0]
        keep = top if top is not None else row["first_seq"] - 1
        back = 0
        if state == "replaced":
            state = "closed"
        elif state == "closed" and keep < row["last_seq"]:
            back = c.execute("UPDATE counters SET last_seq = ? WHERE day = ? AND prefix = ? AND last_seq = ?",
                             (keep, row["day"], row["prefix"], row["last_seq"])).rowcount * (row["last_seq"] - keep)
        c.execute("UPDATE leases SET state = ?, closed_at = ? WHERE id = ?", (state, now.timestamp(), row["id"]))
        return back

    def _expire(self, c: sqlite3.Connection, now: datetime, day: str) -> None:
        """Leases of earlier days, and leases their kiosk stopped asking for, are expired."""
        idle = now.timestamp() - 60.0 * self.queue.config.kiosk.offline_max_minutes
        for row in c.execute("SELECT * FROM leases WHERE state = 'open' AND (day < ? OR renewed_at < ?)",
                             (day, idle)).fetchall():
            self._close(c, now, row, "expired")

    # -- offline tickets -----------------------------------------------------------------
    def merge(self, kiosk: str, tickets: list[dict], sent_at: float | None = None) -> dict:
        """Merge offline tickets of ``kiosk`` (each once per ``local_id``) in issue-time order."""
        if len(tickets) > MAX_UPLOAD:
            raise InvalidArgument(f"at most {MAX_UPLOAD} offline tickets per upload",
                                  zh=f"每次最多上传 {MAX_UPLOAD} 张离线票")
        q = self.queue
        with q.transaction() as (c, now):
            upload_offset = now.timestamp() - float(sent_at) if sent_at is not None else None
            if sent_at is not None:
                self.note_clock(c, now, kiosk, sent_at)
            results = []
            order = sorted(range(len(tickets)), key=lambda i: (float(tickets[i]["kiosk_time"]), i))
            for i in order:
                results.append((i, self._merge_one(c, now, kiosk, tickets[i], upload_offset)))
            results.sort()
            merged = sum(1 for _, r in results if r["result"] == "merged")
            if merged:
                log.info("merged %d offline ticket(s) of %s", merged, kiosk)
            return {"results": [r for _, r in results], "merged": merged,
                    "server_time": now.timestamp(), "now": now.isoformat(timespec="milliseconds")}

    def _merge_one(self, c, now: datetime, kiosk: str, t: dict, upload_offset: float | None) -> dict:
        q = self.queue
        local_id = str(t["local_id"])
        done = c.execute("SELECT ticket_id FROM lease_tickets WHERE kiosk = ? AND local_id = ?",
                         (kiosk, local_id)).fetchone()
        if done is not None:
            return {"local_id": local_id, "result": "already", "ticket": q._ticket(q._ticket_row(c, done[0])).to_json()}
        try:
            svc = q._service(t["service"])
        except UnknownService as e:
            return _refused(local_id, e.code, str(e), e.zh)
        lease = c.execute("SELECT * FROM leases WHERE id = ? AND kiosk = ?", (int(t["lease"]), kiosk)).fetchone()
        seq = int(t["seq"])
        if lease is None or lease["prefix"] != svc.ticket_prefix or not lease["first_seq"] <= seq <= lease["last_seq"]:
            return _refused(local_id, "not_leased", f"{svc.ticket_prefix}{seq:03d} is not in a lease of {kiosk}",
                            f"{svc.ticket_prefix}{seq:03d} 不在 {kiosk} 的预留号段内")
        day, prefix = lease["day"], lease["prefix"]
        if c.execute("SELECT 1 FROM tickets WHERE day = ? AND prefix = ? AND seq = ?", (day, prefix, seq)).fetchone():
            return _refused(local_id, "number_taken", f"{prefix}{seq:03d} of {day} is already a ticket",
                            f"{day} 的 {prefix}{seq:03d} 已被使用")
        offset = t.get("offset_s")
        offset = float(offset) if offset is not None else (upload_offset or 0.0)
        ts = min(max(float(t["kiosk_time"]) + offset, lease["granted_at"]), now.timestamp())
        kind = "priority" if t.get("priority") else "normal"
        lane = rules.LANE_PRIORITY if kind == "priority" else rules.LANE_NORMAL
        reason = t.get("cancel_reason")
        status = "cancelled" if reason else ("waiting" if day == business_day(now) else "expired")
        ahead = c.execute("SELECT count(*) FROM tickets WHERE status = 'waiting' AND service = ? AND "
                          "(lane < ? OR (lane = ? AND sort_key < ?))", (svc.code, lane, lane, ts)).fetchone()[0]
        number = f"{prefix}{seq:03d}"
        ticket_id = c.execute(
            "INSERT INTO tickets (day, prefix, seq, number, service, origin_service, kind, status, lane, sort_key, "
            "ahead, issued_at, cancel_reason, kiosk, token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (day, prefix, seq, number, svc.code, svc.code, kind, status, lane, ts, ahead, ts,
             str(reason) if reason else None, kiosk, self._kiosk_token(c, t.get("token")))).lastrowid
        c.execute("INSERT INTO lease_tickets VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (kiosk, local_id, lease["id"], ticket_id, float(t["kiosk_time"]), t.get("offset_s"),
                   now.timestamp()))
        c.execute("UPDATE leases SET used = used + 1 WHERE id = ?", (lease["id"],))
        row = q._ticket_row(c, ticket_id)
        q._event(c, now, "issued", ticket=row, ticket_kind=kind, ahead=ahead, kiosk=kiosk, offline=True,
                 lease=lease["id"], local_id=local_id,
                 issued_at=datetime.fromtimestamp(ts).isoformat(timespec="seconds"))
        if reason:
            q._event(c, now, "cancelled", ticket=row, reason=str(reason), offline=True)
        superseded = self._supersede(c, now, kiosk, t.get("supersedes"))
        out = {"local_id": local_id, "result": "merged", "ticket": q._ticket(row).to_json()}
        if superseded:
            out["superseded"] = superseded
        return out

    @staticmethod
    def _kiosk_token(c, token) -> str | None:
        """The status-page token the kiosk printed in the QR code, kept when it has the
        server's shape and no other ticket has it; else None (the trigger makes one)."""
        if not is_token(token) or c.execute("SELECT 1 FROM tickets WHERE token = ?", (token,)).fetchone():
            return None
        return token

    def _supersede(self, c, now: datetime, kiosk: str, key: str | None) -> str | None:
        """The online issue the kiosk gave up on (its answer never came) and printed offline
        instead: if the server did issue it, that ticket nobody holds is cancelled."""
        if not key:
            return None
        row = c.execute("SELECT body, status FROM idempotency WHERE credential = ? AND key = ?",
                        (f"device:{kiosk}", str(key))).fetchone()
        if row is None or row[1] != 201:
            return None
        try:
            ticket_id = int(json.loads(row[0])["id"])
        except (ValueError, KeyError, TypeError):
            return None
        t = c.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if t is None or t["status"] != "waiting":
            return None
        c.execute("UPDATE tickets SET status = 'cancelled', cancel_reason = 'offline_duplicate' WHERE id = ?",
                  (ticket_id,))
        self.queue._event(c, now, "cancelled", ticket=t, reason="offline_duplicate")
        return t["number"]

    # -- reads ---------------------------------------------------------------------------
    def kiosks(self, conn: sqlite3.Connection, today: str) -> list[dict]:
        """Per kiosk: its leases today, offline tickets merged, its clock (for GET /leases, diag)."""
        names = [r[0] for r in conn.execute(
            "SELECT kiosk FROM leases WHERE day = ? UNION SELECT device FROM device_clocks ORDER BY 1", (today,))]
        bound = max_skew_s(self.queue.config)
        out = []
        for name in names:
            clock = conn.execute("SELECT * FROM device_clocks WHERE device = ?", (name,)).fetchone()
            leases = conn.execute("SELECT * FROM leases WHERE kiosk = ? AND day = ? ORDER BY id", (name, today)).fetchall()
            merged = conn.execute("SELECT count(*) FROM lease_tickets l JOIN leases s ON s.id = l.lease_id "
                                  "WHERE l.kiosk = ? AND s.day = ?", (name, today)).fetchone()[0]
            out.append({
                "name": name,
                "clock_offset_s": round(clock["offset_s"], 1) if clock else None,
                "clock_measured_at": (datetime.fromtimestamp(clock["measured_at"]).isoformat(timespec="seconds")
                                      if clock else None),
                "skew_flagged": bool(clock["flagged"]) if clock else False,
                "max_clock_skew_s": bound,
                "leases": [_lease_json(r) for r in leases if r["state"] == "open"],
                "leases_today": len(leases),
                "offline_tickets_today": merged})
        return out


def _refused(local_id: str, code: str, en: str, zh: str) -> dict:
    return {"local_id": local_id, "result": "refused", "error": {"code": code, "message": zh, "message_en": en}}
