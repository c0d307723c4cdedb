"""Runs the printer side of the kiosk on one background thread.

Issuing a ticket (queue transaction + printing) and asking the printer for its status
both talk to the printer's port, and either may wait (a busy database, a slow
printer). They run one after the other on a single worker thread so they never
interleave on the port and the screen never freezes; results come back to the GUI
thread as Qt signals. Failures are turned into :class:`kiosk.flow.Message` codes
here, so a locked database or a printer fault is a message, never a crash.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from hall import DailyCapReached, InvalidArgument, ServiceClosed, UnknownTicket
from hall.errors import RemoteError, ServerProblem, ServerUnreachable
from hall.booking_slots import looks_like_id

from . import flow as F
from .offline import OfflineStopped
from .printing import PrinterUnavailable, PrintFailed, TicketNotPrinted

log = logging.getLogger(__name__)


def explain(error: BaseException, request: F.IssueRequest, reader=None, clock=None) -> tuple[F.Message, bool]:
    """The message for a failed request, and whether the printer is down."""
    if isinstance(error, PrinterUnavailable):
        return F.Message(F.MSG_ERROR, {"zh": error.message_zh, "en": error.message_en}), True
    if isinstance(error, PrintFailed):
        return F.Message(F.MSG_PRINT_FAILED, {"zh": error.message_zh, "en": error.message_en}), False
    if isinstance(error, TicketNotPrinted):
        return F.Message(F.MSG_PRINT_FAILED, {"zh": error.message_zh, "en": error.message_en}), False
    if isinstance(error, OfflineStopped):
        return F.Message(F.MSG_OFFLINE_STOPPED, {"reason": error.reason}), False
    if isinstance(error, ServerUnreachable):
        return F.Message(F.MSG_OFFLINE, {"address": error.address}), False
    if isinstance(error, (sqlite3.OperationalError, ServerProblem)):
        return F.Message(F.MSG_BUSY, {"detail": str(error)}), False
    if isinstance(error, ServiceClosed):
        return F.Message(F.MSG_CLOSED), False
    if isinstance(error, DailyCapReached):
        return F.Message(F.MSG_CAP), False
    if request.appointment is not None and isinstance(error, UnknownTicket):
        shown = "" if looks_like_id(request.appointment) else request.appointment  # never an ID number on screen
        return F.Message(F.MSG_NO_APPOINTMENT, {"code": shown}), False
    if request.appointment is not None and isinstance(error, InvalidArgument) and not looks_like_id(request.appointment):
        appt = reader.appointment(request.appointment) if reader is not None else None
        if appt is not None and clock is not None and appt.day != clock().date().isoformat():
            return F.Message(F.MSG_APPOINTMENT_OTHER_DAY, {"day": appt.day}), False
        if appt is not None and (clock is None or clock().timestamp() < appt.slot_at):
            slot = datetime.fromtimestamp(appt.slot_at).strftime("%H:%M")
            return F.Message(F.MSG_APPOINTMENT_TOO_EARLY, {"slot": slot}), False
    if request.appointment is not None and isinstance(error, InvalidArgument):
        # cancelled, or past its slot + grace with late = "expire": the hall's own words
        return F.Message(F.MSG_ERROR, {"detail": str(error), "zh": error.zh, "en": str(error)}), False
    if isinstance(error, RemoteError):  # e.g. this kiosk's token revoked: say the server's words
        return F.Message(F.MSG_ERROR, {"detail": str(error), "zh": error.zh, "en": str(error)}), False
    return F.Message(F.MSG_ERROR, {"detail": str(error)}), False


class IssuerWorker(QObject):
    """Issues tickets and polls the printer on one thread; reports with signals."""

    issued = Signal(object, object)  # IssueRequest, Ticket
    failed = Signal(object, object, bool)  # IssueRequest, Message, printer_down
    status = Signal(object)  # PrinterStatus

    def __init__(self, issuer, kiosk_name: str, reader=None, clock=None):
        super().__init__()
        self.issuer = issuer
        self.kiosk_name = kiosk_name
        self.reader = reader
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-issuer")
        self._polling = threading.Event()
        self._closed = False

    def submit(self, request: F.IssueRequest) -> None:
        self._pool.submit(self._run, request)

    def _run(self, request: F.IssueRequest) -> None:
        try:
            if request.appointment is not None:
                ticket = self.issuer.check_in(request.appointment, kiosk=self.kiosk_name)
            else:
                ticket = self.issuer.issue(request.service, priority=request.priority, kiosk=self.kiosk_name)
        except Exception as e:  # noqa: BLE001 - every failure becomes a message on screen
            message, down = explain(e, request, self.reader, self.clock)
            level = (logging.WARNING if isinstance(e, (TicketNotPrinted, sqlite3.OperationalError, RemoteError))
                     else logging.INFO)
            if message.code == F.MSG_ERROR and not down and not isinstance(e, RemoteError):
                log.exception("request %s failed", request)
            else:
                log.log(level, "request %s refused: %s", request, e)
            self.failed.emit(request, message, down)
            return
        log.info("kiosk %s issued %s (%s, %s)", self.kiosk_name, ticket.number, ticket.service, ticket.kind)
        self.issued.emit(request, ticket)

    @property
    def polling(self) -> bool:
        """A status question is on its way to the printer."""
        return self._polling.is_set()

    def poll_status(self) -> None:
        """Ask the printer for its state (skipped while the previous question is unanswered)."""
        if self._polling.is_set() or self._closed:
            return
        self._polling.set()
        self._pool.submit(self._status)

    def _status(self) -> None:
        try:
            st = self.issuer.printer_status()
        except Exception:  # noqa: BLE001 - a status poll must never kill the worker
            log.exception("printer status poll failed")
            return
        finally:
            self._polling.clear()
        self.status.emit(st)

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
