"""How the kiosk window draws itself: the flow's screen in the current language, theme
and orientation, the home screen's tiles (paged to fit), the PIN pad's lock-out, the
technician menu's lines. Part of :class:`kiosk.app.KioskWindow` (a mixin over its
widgets, flow and hall figures)."""
from __future__ import annotations

import time

from . import flow as F
from .i18n import translate
from .issue_stop import apply_stops
from .messages import message_texts, offline_hint, offline_reason, pin_pad_text
from .model import build_tiles, paginate
from .style import ELDERLY, STANDARD, scale_for, stylesheet
from .widgets import restyle

MESSAGE_MIN_SECONDS = 10
GUIDE_IDLE_FACTOR = 3
WIDE_BAR_PX = 1200  # a landscape window this wide has the five home-screen buttons in one row


class KioskRendering:
    """render() and its parts, for :class:`kiosk.app.KioskWindow`."""

    @property
    def portrait(self) -> bool:
        return self.height() >= self.width()

    def layout_shape(self) -> tuple[int, int]:
        """(columns, tiles per page) for the current orientation and mode."""
        if self.flow.elderly:
            return (1, 4) if self.portrait else (2, 4)
        return (2, 12) if self.portrait else (4, 12)

    def _apply_style(self) -> None:
        theme = ELDERLY if self.flow.elderly else STANDARD
        key = (theme.name, round(scale_for(self.width(), self.height()), 3))
        if key != self._style_key:
            self._style_key = key
            self.setStyleSheet(stylesheet(theme, key[1]))
            restyle(self)

    def render(self) -> None:
        """Show the flow's screen with the current language, theme and figures."""
        f = self.flow
        self.lang.set(f.language)
        self._apply_style()
        for split in (self.done, self.checkin, self.pin, self.guide_mode.list):  # two columns in landscape
            split.set_portrait(self.portrait)
        en = f.english
        hall = (self.config.hall.name_en or self.config.hall.name) if en else self.config.hall.name
        self.home.set_header(hall, self.queue.clock())
        self.home.set_bar(en, f.elderly, f.priority, self.portrait, guide=self.guide_mode.available,
                          wide=self.width() >= WIDE_BAR_PX)
        detail = ""
        if f.paused and self.printer_state is not None:
            detail = self.printer_state.message_en if en else self.printer_state.message_zh
        link, reason = self.offline_status()
        paused = f.paused or link == "stopped"
        if link == "stopped" and not f.paused:
            detail = offline_reason(reason, self.config)
        self.home.set_mode(en, f.priority, paused, detail, compact=f.elderly and not self.portrait,
                           offline=offline_hint() if link == "offline" else "")
        self._render_tiles()
        screen = f.screen
        # reading a guide item takes longer than choosing a service: three times the idle time there
        idle_ms = self.config.kiosk.idle_seconds * 1000 * (GUIDE_IDLE_FACTOR if screen in (F.GUIDE, F.GUIDE_ITEM) else 1)
        if self.idle.interval() != idle_ms:
            self.idle.setInterval(idle_ms)
        if screen != self._shown and screen in (F.DONE, F.MESSAGE):
            seconds = self.config.kiosk.done_seconds
            self._done_deadline = time.monotonic() + (seconds if screen == F.DONE
                                                      else max(seconds, MESSAGE_MIN_SECONDS))
        self._shown = screen
        if screen == F.CONFIRM:
            tile = next((t for t in self._tiles if t.code == f.selected), None)
            if tile is not None:
                self.confirm.show_tile(tile, en, f.priority)
        elif screen == F.ISSUING:
            self.issuing.retranslate(en)
        elif screen == F.DONE and f.ticket is not None:
            svc = self.config.service(f.ticket.service)
            self.done.show_ticket(f.ticket, (svc.name_en or svc.name) if en else svc.name, en)
            self.done.set_countdown(int(max(0.0, self._done_deadline - time.monotonic()) + 0.999))
        elif screen == F.MESSAGE and f.message is not None:
            self.message.show_message(*message_texts(f.message, en, self.config), en)
        elif screen == F.CHECKIN:
            self.checkin.set_texts(translate("Kiosk", "Appointment check-in"),
                                   translate("Kiosk", "Type your booking code or your ID card number, or hold the booking's QR code under the scanner"),
                                   translate("Kiosk", "Check in"))
        elif screen in (F.PRIORITY_PIN, F.TECH_PIN):
            self.pin.set_texts(translate("Kiosk", "Green channel: staff PIN") if screen == F.PRIORITY_PIN else translate("Kiosk", "Technician PIN"),
                               translate("Kiosk", "A member of staff enters the PIN") if screen == F.PRIORITY_PIN
                               else translate("Kiosk", "Enter the technician PIN"), translate("Kiosk", "OK"))
            self._render_pin_lock()
        elif screen in (F.GUIDE, F.GUIDE_ITEM):
            self.guide_mode.render(screen)
        elif screen == F.TECH_MENU:
            st = self.printer_state
            self.tech.show_info([
                translate("Kiosk", "Hall: %1").replace("%1", self.config.hall.name),
                (translate("Kiosk", "Hall server: %1") if self.queue.location.startswith(("http:", "https:"))
                 else translate("Kiosk", "Queue database: %1")).replace("%1", self.queue.location),
                translate("Kiosk", "Printer: %1").replace("%1", f"{self.config.printer.url} — "
                                          f"{(st.message_en if en else st.message_zh) if st else '?'}"),
                *self._offline_lines(),
                "",
                translate("Kiosk", "This menu closes by itself after %1 s without a touch.")
                .replace("%1", str(self.config.kiosk.technician_menu_seconds)),
            ])
        self.stack.setCurrentWidget(self.pages[screen])
        self.setFocus()

    def offline_status(self) -> tuple[str, str | None]:
        """("online" | "offline" | "stopped", reason) of a kiosk with offline issue (kiosk/offline.py)."""
        status = getattr(self.queue, "offline_status", None)
        return status() if callable(status) else ("online", None)

    def _offline_lines(self) -> list[str]:
        """The technician menu's lines on offline issue (a kiosk on the LAN only)."""
        journal = getattr(self.queue, "journal", None)
        if journal is None:
            return []
        left = ", ".join(f"{l.prefix} {l.left}" for l in sorted(journal.leases().values(), key=lambda l: l.prefix))
        return [translate("Kiosk", "Reserved numbers left: %1").replace("%1", left or "-"),
                translate("Kiosk", "Offline tickets not yet sent: %1").replace("%1", str(journal.pending()))]

    def _render_tiles(self) -> None:
        f = self.flow
        now = self.queue.clock()
        self._tiles = apply_stops(build_tiles(self.config, self.snapshot, now, priority=f.priority,
                                              open_now=self.queue.is_open), self.snapshot)
        cols, per_page = self.layout_shape()
        for _ in range(2):  # a second pass when the tiles just drawn turn out not to fit
            fit = self.home.rows_that_fit()
            if fit is not None:
                per_page = cols * max(1, min(per_page // cols, fit))
            pages = paginate(self._tiles, per_page)
            self.page = max(0, min(self.page, len(pages) - 1))
            key = (tuple(self._tiles), self.page, f.english, f.elderly, f.priority, cols, per_page,
                   self.lang.language)
            if key == self._home_key:
                return
            self._home_key = key
            self.home.set_tiles(pages[self.page], f.english, cols, self.page, len(pages), f.priority)
            self.layout().activate()

    def _render_pin_lock(self) -> None:
        """The PIN pad locked (in words, with the time left) or open, with the last wrong-PIN line."""
        f = self.flow
        left = f.pin_locked_for()
        if left:
            f.message = F.Message(F.MSG_PIN_LOCKED, {"seconds": left})
        elif f.message is not None and f.message.code == F.MSG_PIN_LOCKED:
            f.message = None  # the lock-out is over
        self.pin.set_locked(bool(left))
        self.pin.show_error(pin_pad_text(f.message))
