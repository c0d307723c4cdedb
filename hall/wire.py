"""The hall's records as the hall API sends them (JSON), read back into the same records
the local queue hands out: :class:`Ticket`, :class:`WindowState`, :class:`Event`, and the
kiosk's :class:`HallSnapshot`."""
from __future__ import annotations

from datetime import datetime

from .models import Event, Ticket, WindowState
from .snapshot import AppointmentInfo, HallSnapshot, ServiceFigures


def _ts(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


def ticket(d: dict) -> Ticket:
    return Ticket(
        id=d["id"], day=d["day"], number=d["number"], seq=d["seq"], service=d["service"],
        service_name=d.get("service_name") or d["service"], kind=d["kind"], status=d["status"],
        window=d.get("window"), ahead=d.get("ahead", 0), issued_at=_ts(d["issued_at"]),
        called_at=_ts(d.get("called_at")), finished_at=_ts(d.get("finished_at")),
        transfers=d.get("transfers", 0), target_window=d.get("target_window"),
        appointment=d.get("appointment"), cancel_reason=d.get("cancel_reason"),
        token=d.get("token"), status_url=d.get("status_url"))


def window_state(d: dict) -> WindowState:
    current = d.get("current_ticket")
    last = d.get("last_ticket")
    return WindowState(d["number"], d["state"], d.get("pause_reason"), ticket(current) if current else None,
                       ticket(last) if last else None, d.get("waiting", 0), d.get("staff"),
                       d.get("department", ""), tuple(d.get("services", ())))


def event(d: dict) -> Event:
    return Event(d["id"], _ts(d["at"]), d["day"], d["kind"], d.get("window"), d.get("ticket_id"),
                 d.get("number"), d.get("service"), d.get("data") or {})


def snapshot(d: dict) -> HallSnapshot:
    services = {}
    for s in d.get("services", ()):
        services[s["code"]] = ServiceFigures(
            s["code"], s.get("waiting", 0), s.get("issued_today", 0), s.get("handling_minutes", 8.0),
            s.get("measured", False), s.get("windows_open", 1), s.get("wait_minutes", 0), s.get("stopped"))
    taken = datetime.fromisoformat(d["now"]) if d.get("now") else datetime.now()
    return HallSnapshot(taken, services)


def appointment(d: dict) -> AppointmentInfo:
    slot = d.get("slot_at")
    if isinstance(slot, str):
        slot = datetime.fromisoformat(slot).timestamp()
    return AppointmentInfo(d["code"], d["service"], d.get("name", ""), slot, d["day"], d.get("ticket_id"))
