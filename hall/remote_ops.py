"""The hall's operations over its API, one request each: issue, check in, bookings, the
window operations, 好差评 and notices. Part of :class:`hall.remote.RemoteHall` (a mixin
over its ``_json``/``_ticket``/``_window`` requests: time-outs, retries with one
Idempotency-Key, refusals as :class:`hall.errors.HallError`)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

import httpx

from . import wire
from .bookings import BookingInfo
from .errors import UnknownService, UnknownTicket
from .models import Ticket, WindowState


class RemoteOps:
    """Every write of :class:`hall.port.Hall` (and the booking reads) over HTTP."""

    # -- issuing ---------------------------------------------------------------------------
    def issue(self, service: str, priority: bool = False, kiosk: str | None = None) -> Ticket:
        body = {"service": service, "priority": priority}
        if kiosk:
            body["kiosk"] = kiosk
        return self._ticket("POST", "/tickets", json=body)

    def check_in(self, code: str, kiosk: str | None = None) -> Ticket:
        body = {"code": code.strip().upper()}
        if kiosk:
            body["kiosk"] = kiosk
        return self._ticket("POST", "/checkins", json=body)

    def cancel(self, ticket_id: int, reason: str) -> Ticket:
        return self._ticket("POST", f"/tickets/by-id/{int(ticket_id)}/cancel", json={"reason": reason})

    def add_appointment(self, code: str, service: str, slot: datetime, name: str = "") -> None:
        self.add_appointments([(code, service, slot, name)])

    def add_appointments(self, appointments: Iterable[tuple[str, str, datetime, str]]) -> int:
        rows = [{"code": c, "service": s, "slot": slot.isoformat(), "name": n} for c, s, slot, n in appointments]
        for r in rows:
            if r["service"] not in self._services:
                raise UnknownService(f"unknown service {r['service']!r}", zh=f"没有业务 {r['service']}")
        return self._json("POST", "/appointments", json={"appointments": rows})["added"]

    # -- bookings (docs/booking.md) ------------------------------------------------------------
    def booking_days(self) -> list:
        from datetime import date
        return [date.fromisoformat(d) for d in self._json("GET", "/booking/slots")["days"]]

    def booking_slots(self, service: str, day) -> list[dict]:
        return self._json("GET", "/booking/slots", params={"service": service, "day": day.isoformat()})["slots"]

    def book(self, service: str, start: datetime, name: str, mobile: str, id_number: str,
             channel: str = "staff", by: str | None = None) -> BookingInfo:
        """Book for a citizen (the server records this credential as who booked)."""
        body = {"service": service, "start": start.isoformat(timespec="minutes"), "name": name,
                "mobile": mobile, "id_number": id_number}
        return self._read(lambda d: BookingInfo(**d), self._json("POST", "/bookings", json=body))

    def cancel_booking(self, code: str, mobile: str | None = None, by: str | None = None) -> BookingInfo:
        body = {"mobile": mobile} if mobile else {}
        return self._read(lambda d: BookingInfo(**d),
                          self._json("POST", f"/bookings/{_path(code.strip().upper())}/cancel", json=body))

    def booking(self, code: str) -> BookingInfo | None:
        try:
            return self._read(lambda d: BookingInfo(**d), self._json("GET", f"/bookings/{_path(code.strip().upper())}"))
        except UnknownTicket:
            return None

    # -- window operations -------------------------------------------------------------------
    def call_next(self, window: int) -> Ticket | None:
        d = self._json("POST", f"/windows/{int(window)}/call")
        return self._read(wire.ticket, d) if d else None

    def call_ticket(self, window: int, number: str | int) -> Ticket:
        return self._ticket("POST", f"/windows/{int(window)}/call-number", json={"number": number})

    def recall(self, window: int) -> Ticket:
        return self._ticket("POST", f"/windows/{int(window)}/recall")

    def skip(self, window: int) -> Ticket:
        return self._ticket("POST", f"/windows/{int(window)}/skip")

    def reactivate(self, number: str) -> Ticket:
        return self._ticket("POST", f"/tickets/{_path(number.upper())}/reactivate")

    def transfer(self, window: int, to_service: str | None = None, to_window: int | None = None) -> Ticket:
        body = {"to_service": to_service} if to_service is not None else {"to_window": to_window}
        return self._ticket("POST", f"/windows/{int(window)}/transfer", json=body)

    def finish(self, window: int) -> Ticket:
        return self._ticket("POST", f"/windows/{int(window)}/finish")

    def rate(self, window: int, score: int) -> Ticket:
        return self._ticket("POST", f"/windows/{int(window)}/rate", json={"score": score})

    # -- 好差评 (hall/ratings.py) ------------------------------------------------------------
    def rate_ticket(self, ticket_id: int, level: int | None, channel: str, problems=(), text: str = "",
                    rater: str = "") -> dict:
        return self._json("POST", f"/tickets/by-id/{int(ticket_id)}/rating",
                          json={"level": level, "channel": channel, "problems": list(problems or ()),
                                "text": text, "rater": rater})

    def attach_case(self, ticket_id: int, case_no: str, item_code: str = "", source: str = "api",
                    by: str = "") -> dict:
        # ``by`` is the credential's name on the server
        return self._json("POST", f"/tickets/by-id/{int(ticket_id)}/cases",
                          json={"case_no": case_no, "item_code": item_code, "source": source})

    def ticket_rating(self, ticket_id: int) -> dict:
        return self._json("GET", f"/tickets/by-id/{int(ticket_id)}/rating")

    def pause(self, window: int, reason: str | None = None) -> WindowState:
        return self._window("POST", f"/windows/{int(window)}/pause", json={"reason": reason})

    def resume(self, window: int) -> WindowState:
        return self._window("POST", f"/windows/{int(window)}/resume")

    def login(self, window: int, staff: str) -> WindowState:
        return self._window("POST", f"/windows/{int(window)}/login", json={"staff": str(staff)})

    def logout(self, window: int) -> WindowState:
        return self._window("POST", f"/windows/{int(window)}/logout")

    def log_event(self, kind: str, window: int | None = None, **data) -> int:
        return self._json("POST", "/log", json={"kind": kind, "window": window, "data": data})["id"]


def _path(text: str) -> str:
    return httpx.URL("/" + str(text).replace("/", "")).raw_path.decode()[1:]
