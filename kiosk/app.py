"""The kiosk window: joins the flow, the screens, the hall figures and the ticket issuer.

:class:`KioskWindow` is the whole kiosk as one widget. It is given its queue, config
and :class:`kiosk.printing.TicketIssuer` (nothing global), so tests build it with a
temporary database and the printer simulator, and ``jiaohao kiosk`` with the real
ones. In kiosk mode it is frameless and full screen and ignores close requests until
a technician unlocks it: Ctrl+Alt+Shift+T on a keyboard, or five quick taps on the
clock, then the technician PIN (there is no menu when the hall file sets no technician
PIN). Wrong PINs lock the PIN pad for a growing time (:mod:`kiosk.lockout`); the
technician menu closes by itself after ``technician_menu_seconds`` untouched.
"""
from __future__ import annotations

import logging
import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QStackedWidget, QVBoxLayout, QWidget

from . import flow as F
from .appointments import scanned_code
from hall.snapshot import HallReader, HallSnapshot
from .guide_mode import GuideMode
from .i18n import LanguageSwitch
from .lockout import PinGuard
from .model import CLOSED
from .render import KioskRendering
from .screens import (CodeEntryScreen, ConfirmScreen, DoneScreen, HomeScreen, IssuingScreen, MessageScreen,
                      TechnicianScreen)
from .worker import IssuerWorker

log = logging.getLogger(__name__)

REFRESH_MS = 2000  # hall figures and clock
PRINTER_POLL_MS = 2000
SCAN_GAP_S = 1.5  # characters further apart than this start a new scanned code
TECH_TAPS, TECH_TAP_WINDOW_S = 5, 3.0


class _Activity(QObject):
    """Application-wide event filter: any touch, click or key restarts the idle timer."""

    KINDS = {QEvent.MouseButtonPress, QEvent.TouchBegin, QEvent.KeyPress}

    def __init__(self, on_activity):
        super().__init__()
        self.on_activity = on_activity

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt name
        if event.type() in self.KINDS:
            self.on_activity()
        return False


class KioskWindow(KioskRendering, QWidget):
    """The kiosk: home → (confirm) → printing → done, check-in, green channel, elderly mode."""

    def __init__(self, queue, config, issuer, *, kiosk_name: str = "kiosk", kiosk_mode: bool = False,
                 voice=None, reader: HallReader | None = None, start_timers: bool = True,
                 lockout_path=None, wall_clock=time.time, monotonic=time.monotonic, guide=None):
        """``lockout_path``: where wrong-PIN lock-outs are kept across restarts (None: in memory);
        ``wall_clock`` times lock-outs and ``monotonic`` the technician menu (tests inject both);
        ``guide``: the 办事指南 for the 查询 mode (kiosk/guide_mode.py; None: no guide button)."""
        super().__init__()
        self.setObjectName("KioskWindow")
        self.setWindowTitle(config.hall.name)
        self.queue = queue
        self.config = config
        self.issuer = issuer
        self.kiosk_mode = kiosk_mode
        self.voice = voice
        k = config.kiosk
        guard = PinGuard(k.pin_attempts, k.pin_lockout_seconds, lockout_path, clock=wall_clock)
        self.flow = F.KioskFlow(confirm=k.confirm, priority_rule=k.priority_rule, priority_pin_hash=k.priority_pin_hash,
                                technician_pin_hash=k.technician_pin_hash, language=k.language, guard=guard)
        self._mono = monotonic
        self._touched = monotonic()
        self.reader = reader if reader is not None else queue  # (hall.port.Hall: snapshot, appointment)
        self.worker = IssuerWorker(issuer, kiosk_name, self.reader, queue.clock)
        self.worker.issued.connect(self._issued)
        self.worker.failed.connect(self._failed)
        self.worker.status.connect(self._printer_status)
        self.lang = LanguageSwitch(QApplication.instance())
        self.snapshot: HallSnapshot = self.reader.snapshot()
        self.printer_state = None
        self.page = 0
        self._tiles = []
        self._home_key = None
        self._style_key = None
        self._done_deadline = 0.0
        self._shown = None
        self._scan = ""
        self._scan_at = 0.0
        self._clock_taps: list[float] = []
        self.allow_close = not kiosk_mode
        self.on_exit = None  # called after the technician closed the kiosk (jiaohao kiosk: quit)

        self.stack = QStackedWidget()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.stack)
        self.home = HomeScreen()
        self.confirm = ConfirmScreen()
        self.issuing = IssuingScreen()
        self.done = DoneScreen()
        self.message = MessageScreen()
        self.checkin = CodeEntryScreen(letters=True, secret=False)
        self.pin = CodeEntryScreen(letters=False, secret=True, max_length=8)
        self.tech = TechnicianScreen()
        self.pages = {F.HOME: self.home, F.CONFIRM: self.confirm, F.ISSUING: self.issuing, F.DONE: self.done,
                      F.MESSAGE: self.message, F.CHECKIN: self.checkin, F.PRIORITY_PIN: self.pin,
                      F.TECH_PIN: self.pin, F.TECH_MENU: self.tech}
        for w in dict.fromkeys(self.pages.values()):
            self.stack.addWidget(w)
        self._connect()
        self.guide_mode = GuideMode(self, guide)

        self.setFocusPolicy(Qt.StrongFocus)
        self.idle = QTimer(self, singleShot=True, interval=k.idle_seconds * 1000)
        self.idle.timeout.connect(self.idle_timeout)
        self.ticker = QTimer(self, interval=250)
        self.ticker.timeout.connect(self._tick)
        self.refresher = QTimer(self, interval=REFRESH_MS)
        self.refresher.timeout.connect(self.refresh)
        self.poller = QTimer(self, interval=PRINTER_POLL_MS)
        self.poller.timeout.connect(self.worker.poll_status)
        self._activity = _Activity(self.activity)
        QApplication.instance().installEventFilter(self._activity)
        if kiosk_mode:
            self.setWindowFlags(Qt.Window | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
        self.render()
        if start_timers:
            self.start()

    def start(self) -> None:
        """Start the clock, figure refresh, printer polling and the idle timer."""
        for t in (self.ticker, self.refresher, self.poller):
            t.start()
        self.idle.start()
        self.worker.poll_status()

    # -- wiring ---------------------------------------------------------------------
    def _connect(self) -> None:
        h = self.home
        h.tile_tapped.connect(self.tap_tile)
        h.page_changed.connect(self.turn_page)
        h.green.connect(lambda: self._do(self.flow.green_channel))
        h.check_in.connect(self.open_check_in)
        h.elderly.connect(self.toggle_elderly)
        h.language.connect(self.toggle_language)
        h.time.installEventFilter(self)
        self.confirm.confirmed.connect(lambda: self._submit(self.flow.confirm()))
        self.confirm.back.connect(lambda: self._do(self.flow.back))
        self.done.close_.connect(lambda: self._do(self.flow.finished))
        self.message.close_.connect(self._message_closed)
        self.checkin.submitted.connect(lambda code: self._submit(self.flow.check_in(code)))
        self.checkin.back.connect(lambda: self._do(self.flow.back))
        self.pin.submitted.connect(self._pin)
        self.pin.back.connect(lambda: self._do(self.flow.back))
        self.tech.back.connect(lambda: self._do(self.flow.back))
        self.tech.exit_.connect(self.technician_exit)

    def _do(self, action) -> None:
        action()
        self.render()

    # -- taps -------------------------------------------------------------------------
    def tap_tile(self, tile) -> None:
        if self.flow.screen != F.HOME:
            return
        if tile.available:
            self._say(tile.label(False))
        else:
            self._say(tile.label(False) + ("，现在不能取号" if tile.reason == CLOSED else "，今日号已取完"))
        self._submit(self.flow.tap_service(tile.code, tile.available, tile.reason, tile=tile))

    def _submit(self, request: F.IssueRequest | None) -> None:
        if request is not None:
            self.worker.submit(request)
        self.render()

    def _pin(self, pin: str) -> None:
        self.flow.enter_pin(pin)
        self.pin.clear()
        self.render()

    def _message_closed(self) -> None:
        self.flow.finished()
        self.render()

    def open_check_in(self) -> None:
        self.flow.open_check_in()
        self.checkin.clear()
        self.render()

    def turn_page(self, delta: int) -> None:
        self.page += delta
        self.render()

    def toggle_elderly(self) -> None:
        self.flow.toggle_elderly()
        self.page = 0
        if self.flow.elderly:
            self._say("已切换到长者模式，字更大，请点击您要办理的业务")
        self.render()

    def toggle_language(self) -> None:
        self.flow.toggle_language()
        self.page = 0
        self.render()

    def technician(self) -> None:
        self.flow.technician()
        self.pin.clear()
        self.render()

    def technician_exit(self) -> None:
        if not self.flow.unlocked:
            return
        log.warning("kiosk closed by a technician")
        self.allow_close = True
        self.close()
        if self.on_exit is not None:
            self.on_exit()

    # -- results from the issuing thread -------------------------------------------------
    def _issued(self, request, ticket) -> None:
        self.flow.issued(request, ticket)
        if self.flow.screen == F.DONE:
            if getattr(ticket, "offline", False):
                self._say(f"您的号码是{ticket.number}，请取票。")
            else:
                self._say(f"您的号码是{ticket.number}，请取票。前面还有{ticket.ahead}人")
        self.refresh()

    def _failed(self, request, message, printer_down: bool) -> None:
        self.flow.failed(request, message, printer_down)
        if printer_down:
            self.worker.poll_status()
        self.render()

    def _printer_status(self, status) -> None:
        self.printer_state = status
        if self.flow.printer(bool(status.ok)):
            log.warning("printer %s: %s", status.level, status.message_en) if not status.ok else \
                log.info("printer ready (%s)", status.level)
            self.render()

    # -- timers ---------------------------------------------------------------------------
    def activity(self) -> None:
        self.idle.start()
        self._touched = self._mono()

    def idle_timeout(self) -> None:
        if self.flow.screen == F.HOME and not self.flow.priority and not self.flow.elderly \
                and self.flow.language == self.flow.default_language and self.page == 0:
            self.idle.start()
            return
        if self.flow.timeout():
            log.info("no touch for %d s: back to the start", self.config.kiosk.idle_seconds)
            self.page = 0
            self.guide_mode.reset()
            self.checkin.clear()
            self.pin.clear()
            self.render()
        self.idle.start()

    def _tick(self) -> None:
        f = self.flow
        if f.screen == F.TECH_MENU and self._mono() - self._touched >= self.config.kiosk.technician_menu_seconds:
            f.close_menu()
            log.warning("technician menu closed after %d s untouched", self.config.kiosk.technician_menu_seconds)
            self.render()
        elif f.pin_role is not None and (self.pin.locked or f.message is not None and f.message.code == F.MSG_PIN_LOCKED):
            self._render_pin_lock()  # the lock-out's countdown, and the pad back when it ends
        if self.flow.screen in (F.DONE, F.MESSAGE):
            left = self._done_deadline - time.monotonic()
            if left <= 0:
                self.flow.finished()
                self.render()
            elif self.flow.screen == F.DONE:
                self.done.set_countdown(int(left + 0.999))
        if self._scan and time.monotonic() - self._scan_at > SCAN_GAP_S:
            self._scan = ""

    def refresh(self) -> None:
        """Re-read the hall figures and redraw (every few seconds and after each ticket)."""
        self.snapshot = self.reader.snapshot()
        if self.flow.screen == F.HOME:
            self.guide_mode.refresh()
        self.render()

    # -- keys: scanner and technician ------------------------------------------------------
    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt name
        mods = event.modifiers()
        if event.key() == Qt.Key_T and mods & Qt.ControlModifier and mods & Qt.AltModifier \
                and mods & Qt.ShiftModifier:
            self.technician()
            return
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self._scan_enter()
            return
        text = event.text()
        if not text or not text.isprintable() or mods & (Qt.ControlModifier | Qt.AltModifier):
            return
        screen = self.flow.screen
        if screen in (F.HOME, F.CHECKIN):  # what a barcode scanner types (never a PIN)
            now = time.monotonic()
            if now - self._scan_at > SCAN_GAP_S:
                self._scan = ""
            self._scan += text
            self._scan_at = now
        if screen == F.CHECKIN:
            self.checkin.type_text(text)
        elif screen in (F.PRIORITY_PIN, F.TECH_PIN):
            self.pin.type_text(text if text.isdigit() else "")

    def _scan_enter(self) -> None:
        screen = self.flow.screen
        if screen == F.CHECKIN and self.checkin.value:
            if "://" in self._scan:  # a booking URL scanned on this screen: keep only its code
                self.checkin.clear()
                self.checkin.type_text(scanned_code(self._scan))
            self._scan = ""
            self._submit(self.flow.check_in(self.checkin.value))
        elif screen in (F.PRIORITY_PIN, F.TECH_PIN) and self.pin.value:
            self._pin(self.pin.value)
        elif screen == F.HOME and self._scan.strip():
            code, self._scan = scanned_code(self._scan), ""
            self.checkin.clear()
            self.checkin.type_text(code)
            self._submit(self.flow.check_in(code))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - five taps on the clock
        if obj is self.home.time and event.type() == QEvent.MouseButtonPress:
            now = time.monotonic()
            self._clock_taps = [t for t in self._clock_taps if now - t < TECH_TAP_WINDOW_S] + [now]
            if len(self._clock_taps) >= TECH_TAPS:
                self._clock_taps = []
                self.technician()
        return False

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        if not self.allow_close:
            log.info("close request ignored: the kiosk only closes from the technician menu")
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        for t in (self.ticker, self.refresher, self.poller, self.idle):
            t.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._activity)
        self.worker.close()
        if self.reader is not self.queue:  # the queue is its owner's to close
            self.reader.close()
        self.lang.close()
        if self.voice is not None:
            self.voice.close()

    def _say(self, text: str) -> None:
        if self.voice is not None and self.flow.elderly and not self.flow.english:
            self.voice.say(text)

    # -- drawing (the rest in kiosk/render.py) ----------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self.render()
