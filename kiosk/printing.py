"""TicketIssuer: a ticket is only counted when its paper slip came out.

Before issuing, the printer is asked for its status: paper out, cover open or no
answer refuses (:class:`PrinterUnavailable`, nothing issued); near end issues and
warns. If printing then fails, the ticket is cancelled with reason ``print_failed``
(never called, its number not reused) and :class:`PrintFailed` is raised. Every status
change, refusal and failure is a ``printer`` event in the queue's log, which the kiosk,
the diagnostics and the reports read.
"""
from __future__ import annotations

import logging
import threading

from drivers.printer import PrinterError, PrinterStatus, TicketPrinter, open_printer

from hall.booking_slots import looks_like_id

from .ticket_layout import ticket_content

FRESH_S = 30.0  # a ticket issued this recently by a check-in by ID number is this check-in's own

log = logging.getLogger(__name__)

__all__ = ["TicketIssuer", "TicketNotPrinted", "PrinterUnavailable", "PrintFailed", "PrinterStatus"]


class TicketNotPrinted(Exception):
    """No usable ticket came out; ``message_zh`` / ``message_en`` are for the citizen."""

    def __init__(self, message_zh: str, message_en: str, status: PrinterStatus | None = None, ticket=None):
        super().__init__(message_en)
        self.message_zh, self.message_en = message_zh, message_en
        self.status, self.ticket = status, ticket


class PrinterUnavailable(TicketNotPrinted):
    """The printer refused before anything was issued (paper out, cover open, offline)."""


class PrintFailed(TicketNotPrinted):
    """Printing failed after issuing; ``ticket`` is the cancelled ticket."""


class TicketIssuer:
    """Issues tickets through the queue and prints them; one printer, many threads."""

    def __init__(self, queue, config, printer: TicketPrinter | None = None):
        self.queue = queue
        self.config = config
        self.printer = printer if printer is not None else open_printer(config.printer)
        self._lock = threading.RLock()
        self._last_level: str | None = None

    # -- status ---------------------------------------------------------------------
    def printer_status(self) -> PrinterStatus:
        """Ask the printer now; a change of level is logged as a ``printer`` event."""
        with self._lock:
            st = self.printer.status()
            self._note(st)
            return st

    def _note(self, st: PrinterStatus) -> None:
        if st.level != self._last_level:
            if self._last_level is not None or st.level != "ok":
                self._event(st, "status")
            self._last_level = st.level

    def _event(self, st: PrinterStatus, action: str, **data) -> None:
        try:
            self.queue.log_event("printer", action=action, status=st.level, cause=st.cause,
                                 message=st.message_zh, message_en=st.message_en,
                                 url=self.printer.url, **data)
        except Exception:  # noqa: BLE001 - the log must not stop the kiosk
            log.exception("could not log the printer event")

    # -- issuing --------------------------------------------------------------------
    def issue(self, service: str, priority: bool = False, kiosk: str | None = None):
        """Check the printer, issue a ticket of ``service``, print it; the printed Ticket."""
        with self._lock:
            self._ready(kiosk, service=service)
            ticket = self.queue.issue(service, priority=priority, kiosk=kiosk)
            return self._print(ticket, kiosk)

    def check_in(self, code: str, kiosk: str | None = None):
        """Check the printer, turn appointment ``code`` into a ticket, print it."""
        by_id = looks_like_id(code)  # an ID number: never in an event, a URL or a log
        with self._lock:
            self._ready(kiosk, appointment="(ID number)" if by_id else code)
            booked = None if by_id else self.queue.appointment(code)
            ticket = self.queue.check_in(code, kiosk=kiosk)
            # a paper that does not come out voids only a ticket made just now, never one
            # this appointment already had (the citizen holds it); booked None: not known
            if by_id:
                fresh = abs(self.queue.clock().timestamp() - ticket.issued_at) < FRESH_S
            else:
                fresh = booked is not None and booked.ticket_id != ticket.id
            return self._print(ticket, kiosk, cancel_on_failure=fresh)

    def print_issued(self, ticket, kiosk: str | None = None):
        """Print a ticket already issued (``jiaohao queue issue --print``); cancelled if it fails."""
        with self._lock:
            return self._print(ticket, kiosk)

    def _ready(self, kiosk: str | None, **what) -> None:
        st = self.printer_status()
        if st.ok:
            return
        self._event(st, "refused", kiosk=kiosk, **what)
        raise PrinterUnavailable(f"{st.message_zh}，暂时无法取号，请联系工作人员",
                                 f"{st.message_en}. No ticket can be issued now; please ask the staff.", st)

    def _print(self, ticket, kiosk: str | None, cancel_on_failure: bool = True):
        content = ticket_content(self.config, ticket)
        try:
            st = self.printer.print_ticket(content)
        except PrinterError as e:
            st = getattr(e, "status", None) or PrinterStatus.of("offline", "no_connection", detail=str(e))
            self._last_level = st.level
            cancelled = ticket
            if cancel_on_failure:
                try:
                    cancelled = self.queue.cancel(ticket.id, "print_failed")
                except Exception:  # noqa: BLE001 - e.g. already called: leave it, but say so
                    log.exception("could not cancel ticket %s after the print failed", ticket.number)
            self._event(st, "print_failed", kiosk=kiosk, number=ticket.number, ticket_id=ticket.id,
                        error=str(e), cancelled=cancel_on_failure)
            log.warning("ticket %s not printed: %s", ticket.number, e)
            void_zh, void_en = ((f"{ticket.number}号已作废，", f"number {ticket.number} is void, ")
                                if cancel_on_failure else ("", ""))
            raise PrintFailed(f"取号凭条打印失败（{st.message_zh}），{void_zh}请联系工作人员",
                              f"The ticket did not print ({st.message_en}); {void_en}please ask the staff.",
                              st, cancelled) from e
        self._note(st)
        return ticket
