"""Appointments (预约) on the queue: bookings added in one transaction, and check-in,
which turns a booking into a ticket queued for its slot. A mixin of
:class:`hall.queue.HallQueue` (it uses the queue's transaction and ticket helpers).

Check-in takes the booking code (typed or scanned) or the ID number of a booking made
on the phone pages or at a window (hall/bookings.py). A booking with a slot end
(booked, not imported) checks in ahead of walk-ins until slot end + ``[booking]
grace_minutes``; after that it is a no-show, and arriving late gives a walk-in ticket
(``late = "walk_in"``) or nothing (``"expire"``)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from . import booking_slots as bs
from .clock import business_day
from .errors import InvalidArgument, UnknownTicket
from .models import Ticket


class AppointmentOps:
    """Booking and check-in operations of the hall queue."""

    def add_appointment(self, code: str, service: str, slot: datetime, name: str = "") -> None:
        self.add_appointments([(code, service, slot, name)])

    def add_appointments(self, appointments: Iterable[tuple[str, str, datetime, str]]) -> int:
        """Add or update (code, service, slot, name) bookings in ONE transaction: all or none.

        Codes are stored in capitals, as scanners and the keypad type them. An imported
        appointment never replaces a booking made on the phone pages or at a window."""
        rows = []
        for code, service, slot, name in appointments:
            self._service(service)
            rows.append((code.strip().upper(), service, name, slot.timestamp(), business_day(slot)))
        with self._tx() as (c, _):
            c.executemany("INSERT INTO appointments (code, service, name, slot_at, day) VALUES (?, ?, ?, ?, ?) "
                          "ON CONFLICT (code) DO UPDATE SET service = excluded.service, name = excluded.name, "
                          "slot_at = excluded.slot_at, day = excluded.day "
                          "WHERE ticket_id IS NULL AND channel = 'import'", rows)
        return len(rows)

    def check_in(self, code: str, kiosk: str | None = None) -> Ticket:
        """Turn a booked appointment (its code, or the booker's ID number) into a ticket,
        queued for its slot."""
        self.sweep_no_shows()  # its own transaction: a refused check-in keeps the no-shows
        with self._tx() as (c, now):
            appt = c.execute("SELECT * FROM appointments WHERE code = ?", (code.strip().upper(),)).fetchone()
            if appt is None and bs.looks_like_id(code):
                appt = self._booking_of_person(c, now, code)
            if appt is None:
                if bs.looks_like_id(code):  # never echo an ID number (screens, logs)
                    raise UnknownTicket("no booking for this ID number today", zh="今天没有此身份证号码的预约")
                raise UnknownTicket(f"no appointment {code!r}", zh=f"没有预约号 {code}")
            code = appt["code"]  # never the ID number again below (it would reach the log)
            if appt["status"] == "cancelled":
                raise InvalidArgument(f"appointment {code} was cancelled", zh=f"预约 {code} 已取消")
            if appt["day"] != business_day(now):
                raise InvalidArgument(f"appointment {code} is for {appt['day']}, not today",
                                      zh=f"预约 {code} 是 {appt['day']} 的，不是今天")
            if appt["ticket_id"] is not None:
                prior = self._ticket_row(c, appt["ticket_id"])
                # a ticket whose paper never came out does not use up the appointment
                if not (prior["status"] == "cancelled" and prior["cancel_reason"] == "print_failed"):
                    return self._ticket(prior)
            early = self.config.rules.appointment_early_minutes * 60
            if now.timestamp() < appt["slot_at"] - early:
                slot = datetime.fromtimestamp(appt["slot_at"]).strftime("%H:%M")
                early_min = self.config.rules.appointment_early_minutes
                raise InvalidArgument(f"appointment {code} is at {slot}; check in from {early_min} minutes before",
                                      zh=f"预约 {code} 的时间是 {slot}，请在预约时间前 {early_min} 分钟内签到")
            b = self.config.booking
            late = appt["slot_end"] is not None and now.timestamp() > appt["slot_end"] + b.grace_minutes * 60
            if late and b.late == "expire":
                end = datetime.fromtimestamp(appt["slot_end"]).strftime("%H:%M")
                raise InvalidArgument(f"appointment {code} ended at {end} (+{b.grace_minutes} minutes' grace): "
                                      "it has expired; please take an ordinary ticket",
                                      zh=f"预约 {code} 的时段已于 {end} 结束（宽限{b.grace_minutes}分钟），预约已失效，请取普通号")
            svc = self._service(appt["service"])
            if late:  # a walk-in ticket, still linked to its booking (the reminder's mobile number)
                row = self._insert_ticket(c, now, svc, "normal", kiosk, appt["code"], None)
            else:
                row = self._insert_ticket(c, now, svc, "appointment", kiosk, appt["code"], appt["slot_at"])
            c.execute("UPDATE appointments SET ticket_id = ?, ended_at = coalesce(ended_at, ?), "
                      "status = CASE status WHEN 'booked' THEN 'checked_in' ELSE status END WHERE code = ?",
                      (row["id"], now.timestamp(), appt["code"]))
            return self._ticket(row)

    def _booking_of_person(self, c, now: datetime, id_text: str):
        """Today's booking of the holder of an ID number: the first not yet checked in."""
        try:
            person = bs.id_hash(self._salt(c), bs.normalize_id(id_text))
        except ValueError:
            return None
        return c.execute("SELECT * FROM appointments WHERE id_hash = ? AND day = ? AND status != 'cancelled' "
                         "ORDER BY ticket_id IS NOT NULL, status = 'no_show', slot_at LIMIT 1",
                         (person, business_day(now))).fetchone()
