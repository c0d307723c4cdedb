"""Appointments (预约) on the queue: bookings added in one transaction, and check-in,
which turns a booking into a ticket queued for its slot. A mixin of
:class:`hall.queue.HallQueue` (it uses the queue's transaction and ticket helpers)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from .clock import business_day
from .errors import InvalidArgument, UnknownTicket
from .models import Ticket


class AppointmentOps:
    """Booking and check-in operations of the hall queue."""

    def add_appointment(self, code: str, service: str, slot: datetime, name: str = "") -> None:
        self.add_appointments([(code, service, slot, name)])

    def add_appointments(self, appointments: Iterable[tuple[str, str, datetime, str]]) -> int:
        """Add or update (code, service, slot, name) bookings in ONE transaction: all or none.

        Codes are stored in capitals, as scanners and the keypad type them."""
        rows = []
        for code, service, slot, name in appointments:
            self._service(service)
            rows.append((code.strip().upper(), service, name, slot.timestamp(), business_day(slot)))
        with self._tx() as (c, _):
            c.executemany("INSERT INTO appointments (code, service, name, slot_at, day) VALUES (?, ?, ?, ?, ?) "
                          "ON CONFLICT (code) DO UPDATE SET service = excluded.service, name = excluded.name, "
                          "slot_at = excluded.slot_at, day = excluded.day WHERE ticket_id IS NULL", rows)
        return len(rows)

    def check_in(self, code: str, kiosk: str | None = None) -> Ticket:
        """Turn a booked appointment into a ticket, queued for its slot."""
        with self._tx() as (c, now):
            appt = c.execute("SELECT * FROM appointments WHERE code = ?", (code.strip().upper(),)).fetchone()
            if appt is None:
                raise UnknownTicket(f"no appointment {code!r}", zh=f"没有预约号 {code}")
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
            row = self._insert_ticket(c, now, self._service(appt["service"]), "appointment", kiosk,
                                      appt["code"], appt["slot_at"])
            c.execute("UPDATE appointments SET ticket_id = ? WHERE code = ?", (row["id"], appt["code"]))
            return self._ticket(row)
