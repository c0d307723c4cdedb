"""The kiosk's screens and transitions as a plain state machine (no Qt, no printer).

The widgets report taps here and draw ``flow.screen``; the window runs the
:class:`IssueRequest` a transition returns on the issuing thread and reports back with
:meth:`KioskFlow.issued` or :meth:`KioskFlow.failed`. Because a request is only handed
out from the home or confirm screen and the flow leaves that screen at once, a double
tap (or a tap on a tile still on screen while a ticket prints) returns None: one tap,
one ticket.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import count

from .lockout import PinGuard
from .pins import verify_pin

log = logging.getLogger(__name__)

# Screens
HOME = "home"
CONFIRM = "confirm"
ISSUING = "issuing"
DONE = "done"
MESSAGE = "message"
CHECKIN = "checkin"
PRIORITY_PIN = "priority_pin"
TECH_PIN = "tech_pin"
TECH_MENU = "tech_menu"

# Message codes shown on the MESSAGE screen (translated by the widgets)
MSG_BUSY = "busy"  # the queue database stayed locked: try again
MSG_PRINT_FAILED = "print_failed"  # the ticket was cancelled, go to the desk
MSG_CLOSED = "closed"
MSG_CAP = "cap"
MSG_NO_APPOINTMENT = "no_appointment"
MSG_APPOINTMENT_OTHER_DAY = "appointment_other_day"
MSG_APPOINTMENT_TOO_EARLY = "appointment_too_early"
MSG_WRONG_PIN = "wrong_pin"  # shown on the PIN pad, with the attempts left
MSG_PIN_LOCKED = "pin_locked"  # shown on the PIN pad, with the seconds left
MSG_NO_TECH_PIN = "no_tech_pin"  # no technician PIN in the hall file: no technician menu
MSG_NO_GREEN_PIN = "no_green_pin"  # the green channel needs a staff PIN and none is set
MSG_OFFLINE = "offline"  # the hall server does not answer (a kiosk on the LAN)
MSG_OFFLINE_STOPPED = "offline_stopped"  # offline too long, or the lease is spent: 暂停取号
MSG_ERROR = "error"


@dataclass(frozen=True)
class IssueRequest:
    """One ticket to issue (a service tap) or one appointment to check in."""

    id: int
    service: str | None = None
    priority: bool = False
    appointment: str | None = None


@dataclass
class Message:
    code: str
    params: dict = field(default_factory=dict)


class KioskFlow:
    """Which screen the kiosk shows and what a tap does there."""

    def __init__(self, confirm: bool = False, priority_rule: str = "pin", priority_pin_hash: str = "",
                 technician_pin_hash: str = "", language: str = "zh_CN", guard: PinGuard | None = None):
        self.confirm_step = confirm
        self.priority_rule = priority_rule
        self.pin_hashes = {"green": priority_pin_hash, "technician": technician_pin_hash}
        self.guard = guard or PinGuard()
        self.default_language = language
        self._ids = count(1)
        self.reset()

    def reset(self) -> None:
        """Back to the first screen as a new citizen finds it (after inactivity)."""
        self.screen = HOME
        self.priority = False
        self.elderly = False
        self.language = self.default_language
        self.selected: str | None = None
        self.pending: IssueRequest | None = None
        self.ticket = None
        self.message: Message | None = None
        self.printer_ok = True
        self._printer_known = False
        self.unlocked = False

    # -- state queries ---------------------------------------------------------
    @property
    def english(self) -> bool:
        return self.language == "en"

    @property
    def busy(self) -> bool:
        """A ticket is being issued: taps are ignored and inactivity does not reset."""
        return self.pending is not None

    @property
    def paused(self) -> bool:
        """The printer cannot print: ticket issue is paused (the kiosk says so)."""
        return not self.printer_ok

    # -- taps ---------------------------------------------------------------
    def tap_service(self, code: str, available: bool = True, reason: str | None = None,
                    **params) -> IssueRequest | None:
        """A service tile was tapped: go to confirm, or return the ticket to issue.

        An unavailable service (``reason`` "closed" or "cap") shows why instead.
        """
        if self.screen != HOME or self.busy or self.paused:
            log.debug("tap on %s ignored (screen %s, busy %s)", code, self.screen, self.busy)
            return None
        if not available:
            self.screen = MESSAGE
            self.message = Message(MSG_CAP if reason == MSG_CAP else MSG_CLOSED, dict(params, service=code))
            return None
        self.selected = code
        if self.confirm_step:
            self.screen = CONFIRM
            return None
        return self._request(service=code, priority=self.priority)

    def confirm(self) -> IssueRequest | None:
        if self.screen != CONFIRM or self.busy or self.paused or self.selected is None:
            return None
        return self._request(service=self.selected, priority=self.priority)

    def check_in(self, code: str) -> IssueRequest | None:
        """An appointment code typed on the keypad or scanned (from home or the check-in screen)."""
        code = code.strip()
        if not code or self.screen not in (HOME, CHECKIN) or self.busy or self.paused:
            return None
        return self._request(appointment=code)

    def _request(self, **kw) -> IssueRequest:
        self.pending = IssueRequest(next(self._ids), **kw)
        self.screen = ISSUING
        return self.pending

    def back(self) -> None:
        """The back/cancel button: home (leaving green-channel mode)."""
        if self.busy:
            return
        self.screen = HOME
        self.priority = False
        self.selected = None
        self.message = None
        self.unlocked = False

    def open_check_in(self) -> None:
        if self.screen == HOME and not self.busy:
            self.screen = CHECKIN

    def green_channel(self) -> None:
        """The 绿色通道 button: priority tickets, behind a staff PIN when the rule says so."""
        if self.screen != HOME or self.busy:
            return
        if self.priority:
            self.priority = False  # the button toggles back to normal tickets
        elif self.priority_rule != "pin":
            self.priority = True
        elif not self.pin_hashes["green"]:
            self.screen, self.message = MESSAGE, Message(MSG_NO_GREEN_PIN)
        else:
            self.screen, self.message = PRIORITY_PIN, self._lock_message("green")

    @property
    def pin_role(self) -> str | None:
        """Whose PIN the PIN screen asks for: "green", "technician" or None (not on a PIN screen)."""
        return {PRIORITY_PIN: "green", TECH_PIN: "technician"}.get(self.screen)

    def pin_locked_for(self) -> float:
        """Seconds the PIN pad on screen stays locked after too many wrong PINs (0: open)."""
        role = self.pin_role
        return self.guard.locked_for(role) if role else 0.0

    def _lock_message(self, role: str) -> Message | None:
        left = self.guard.locked_for(role)
        return Message(MSG_PIN_LOCKED, {"seconds": left}) if left else None

    def enter_pin(self, pin: str) -> bool:
        """A PIN typed on the PIN screen (green channel or technician).

        While the pad is locked nothing is checked (or counted); a wrong PIN may start a lock-out.
        """
        role = self.pin_role
        if role is None:
            return False
        locked = self._lock_message(role)
        if locked is not None:
            self.message = locked
            return False
        if verify_pin(pin, self.pin_hashes[role]):
            self.guard.succeeded(role)
            self.message = None
            if role == "green":
                self.priority, self.screen = True, HOME
            else:
                self.screen, self.unlocked = TECH_MENU, True
                log.warning("technician menu opened")
            return True
        self.guard.failed(role)
        self.message = self._lock_message(role) or Message(MSG_WRONG_PIN, {"left": self.guard.attempts_left(role)})
        return False

    def technician(self) -> None:
        """The technician key combination: ask for the technician PIN (or say there is none)."""
        if self.busy:
            return
        if not self.pin_hashes["technician"]:
            self.screen, self.message = MESSAGE, Message(MSG_NO_TECH_PIN)
        else:
            self.screen, self.message = TECH_PIN, self._lock_message("technician")

    def close_menu(self) -> bool:
        """The technician menu was left untouched too long: home, locked again."""
        if self.screen != TECH_MENU:
            return False
        self.screen, self.unlocked, self.message = HOME, False, None
        return True

    def toggle_elderly(self) -> None:
        self.elderly = not self.elderly

    def toggle_language(self) -> None:
        self.language = "zh_CN" if self.english else "en"

    # -- results -------------------------------------------------------------------
    def issued(self, request: IssueRequest, ticket) -> None:
        if self.pending is None or request.id != self.pending.id:
            log.warning("result of a stale request %s ignored", request)
            return
        self.pending, self.ticket, self.screen = None, ticket, DONE

    def failed(self, request: IssueRequest, message: Message, printer_down: bool = False) -> None:
        if self.pending is None or request.id != self.pending.id:
            return
        self.pending = None
        if printer_down:
            self.printer_ok = False
            self.screen, self.message = HOME, None
        else:
            self.screen, self.message = MESSAGE, message

    def printer(self, ok: bool) -> bool:
        """The polled printer state; True when it changed."""
        changed = ok != self.printer_ok or not self._printer_known
        self.printer_ok, self._printer_known = ok, True
        if not ok and self.screen in (CONFIRM, CHECKIN):
            self.screen = HOME
        return changed

    def finished(self) -> None:
        """The done or message screen's time is up (or its button tapped): home, same modes."""
        if self.screen in (DONE, MESSAGE):
            self.screen, self.ticket, self.message = HOME, None, None
            self.priority, self.selected = False, None

    def timeout(self) -> bool:
        """The kiosk was left alone: back home as a new citizen finds it.

        Returns True when the flow was reset. Never while a ticket is being issued.
        """
        if self.busy or self.screen in (TECH_MENU,):
            return False
        printer_ok, known = self.printer_ok, self._printer_known
        self.reset()
        self.printer_ok, self._printer_known = printer_ok, known
        return True
