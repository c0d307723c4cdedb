"""The kiosk's 查询 mode joined to the kiosk window: the guide's screens, the flow, the
printer (打印材料清单) and the guide's line on tickets.

The window makes one :class:`GuideMode`; it adds the two screens to the window's stack,
shows the home screen's 办事指南 button when the hall has a guide, and draws the guide
screens when the flow is on them. ``source`` is where the guide comes from: a
:class:`config.guide.GuideFiles` (the files beside the hall file) or
:class:`hall.remote_guide.RemoteGuide` (the hall server's ``GET /api/v1/guide``), or a
plain :class:`config.guide.Guide` (tests).
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from . import flow as F
from .guide_model import GuideBrowser
from .guide_print import print_checklist
from .guide_screens import GuideItemScreen, GuideScreen
from .i18n import translate
from .model import CLOSED
from .widgets import figures_text

log = logging.getLogger(__name__)


def current_guide(source):
    """The guide now (None: none); a source that fails keeps the kiosk going without it."""
    if source is None:
        return None
    try:
        return source.current() if hasattr(source, "current") else source
    except Exception as e:  # noqa: BLE001 - the guide is a help, never a reason to stop issuing
        log.warning("guide not available: %s", e)
        return None


def ticket_line(config, guide, service: str, code: str | None) -> str:
    """The ticket's extra line per ``[guide] ticket_line``: the item chosen in the guide,
    else the service's only item; "" when there is none or the hall wants none."""
    mode = getattr(getattr(config, "guide", None), "ticket_line", "none")
    if mode == "none" or guide is None:
        return ""
    entry = guide.get(code) if code else None
    if entry is None:
        items = guide.for_service(service)
        entry = items[0] if len(items) == 1 else None
    if entry is None:
        return ""
    if mode == "reminder" and entry.reminder:
        return f"温馨提示：{entry.reminder}"
    if not entry.materials:
        return ""
    return f"请备齐{entry.name}所需材料{len(entry.materials)}项（详见办事指南）"


class GuideMode(QObject):
    """The guide screens of one kiosk window."""

    def __init__(self, window, source):
        super().__init__(window)
        self.w = window
        self.source = source
        self.guide = current_guide(source)
        self.browser = GuideBrowser(self.guide) if self.guide else None
        self.list = GuideScreen()
        self.item = GuideItemScreen()
        self.status = ""
        self._fit: dict = {}  # (window size, elderly, english) -> rows of the list that fit
        for screen, widget in ((F.GUIDE, self.list), (F.GUIDE_ITEM, self.item)):
            window.stack.addWidget(widget)
            window.pages[screen] = widget
        window.home.guide.connect(self.open)
        self.list.row_tapped.connect(self.tap_row)
        self.list.key.connect(self.key)
        self.list.by_changed.connect(self.set_by)
        self.list.page_changed.connect(self.turn)
        self.list.back.connect(self.back_from_list)
        self.item.back.connect(self.back_from_item)
        self.item.print_.connect(self.print_checklist)
        self.item.take.connect(self.take_ticket)
        window.worker.job_done.connect(self._job_done)
        window.worker.note_for = lambda r: ticket_line(window.config, self.guide, r.service, r.guide)
        self._warm()

    def _warm(self) -> None:
        """Build the pinyin index off the GUI thread (pypinyin's dictionaries and 700 names take
        about a second on a kiosk PC: the first letter typed must not wait for it)."""
        guide = self.guide
        if guide:
            import threading
            threading.Thread(target=guide.search, args=("a",), name="guide-index", daemon=True).start()

    @property
    def available(self) -> bool:
        return bool(self.guide)

    def refresh(self) -> None:
        """Read the guide again (the window's figure refresh, on the home screen only)."""
        guide = current_guide(self.source)
        if guide is not None and guide is not self.guide:
            self.guide = guide
            self.browser = GuideBrowser(guide)
            self._warm()

    def reset(self) -> None:
        if self.browser is not None:
            self.browser.reset()
        self.status = ""

    # -- taps -----------------------------------------------------------------------------
    def open(self) -> None:
        if not self.available:
            return
        self.reset()
        self.w.flow.open_guide()
        self.w._say("办事指南。请点击专区，或输入拼音首字母查找")
        self.w.render()

    def tap_row(self, row) -> None:
        if row is None or self.w.flow.screen != F.GUIDE:
            return
        if row.kind == "group":
            self.browser.open_group(row.key)
        else:
            self.browser.item = row.key
            self.status = ""
            self.w.flow.open_guide_item()
            self.w._say(self.guide.get(row.key).name)
        self.w.render()

    def key(self, k: str) -> None:
        self.browser.type_key(k)
        self.w.render()

    def set_by(self, by: str) -> None:
        self.browser.set_by(by)
        self.browser.query = ""
        self.w.render()

    def turn(self, delta: int) -> None:
        self.browser.turn(delta)
        self.w.render()

    def back_from_list(self) -> None:
        if not self.browser.up():
            self.w.flow.back()
        self.w.render()

    def back_from_item(self) -> None:
        self.w.flow.back()
        self.w.render()

    def _entry(self):
        return self.guide.get(self.browser.item) if self.browser and self.browser.item else None

    def _tile(self, service: str):
        return next((t for t in self.w._tiles if t.code == service), None)

    def take_ticket(self) -> None:
        e = self._entry()
        tile = self._tile(e.service) if e else None
        if tile is None:
            return
        request = self.w.flow.take_from_guide(tile.code, tile.available, tile.reason, e.code, tile=tile)
        self.w._submit(request)

    def print_checklist(self) -> None:
        e = self._entry()
        if e is None or self.w.flow.paused:
            return
        self.status = translate("Kiosk", "Printing the checklist…")
        now = self.w.queue.clock()
        self.w.worker.run_job("checklist", lambda: print_checklist(self.w.issuer, e, self.guide, now))
        self.w.render()

    def _job_done(self, name: str, error) -> None:
        if name != "checklist":
            return
        if error is None:
            self.status = translate("Kiosk", "Please take your checklist")
            self.w._say("请取走材料清单")
        else:
            self.status = translate("Kiosk", "The checklist did not print; please ask the staff")
            self.w.worker.poll_status()
        self.w.render()

    # -- drawing -----------------------------------------------------------------------------
    def per_page(self) -> int:
        f, portrait = self.w.flow, self.w.portrait
        if f.elderly:
            return 4 if portrait else 3
        return 7 if portrait else 5

    def _measure(self, key) -> None:
        if self.w.flow.screen != F.GUIDE or not self.list.isVisible():
            return
        fit = self.list.rows_that_fit()
        if fit is None:
            return
        fit = max(1, fit)
        shown = sum(r.isVisible() for r in self.list.rows)
        if self._fit.get(key) != fit and (fit < shown or fit > self.browser.per_page):
            self._fit[key] = fit
            self.w.render()

    def render(self, screen: str) -> None:
        en = self.w.flow.english
        if self.browser is None:
            return
        self.list.set_portrait(self.w.portrait)
        self.item.set_portrait(self.w.portrait)
        if screen == F.GUIDE:
            # as many rows as fit: fewer on a small window or with elderly-mode text (measured
            # once the list is laid out on screen, then drawn again if fewer fit)
            key = (self.w.size().toTuple(), self.w.flow.elderly, self.w.flow.english)
            fit = self._fit.get(key)
            self.browser.per_page = min(self.per_page(), fit) if fit else self.per_page()
            self.list.show_browser(self.browser, en)
            QTimer.singleShot(0, lambda: self._measure(key))
            return
        e = self._entry()
        if e is None:
            return
        tile = self._tile(e.service)
        if tile is None:
            take = translate("Kiosk", "No tickets for this item here")
        elif not tile.available:
            take = figures_text(tile) if tile.reason == CLOSED else translate("Kiosk", "No tickets left today")
        else:
            take = translate("Kiosk", "Take a ticket (%1 waiting)").replace("%1", str(tile.waiting))
        self.item.show_entry(e, self.guide, en, can_print=not self.w.flow.paused, take_text=take)
        self.item.take_btn.setEnabled(tile is not None and not self.w.flow.paused)
        self.item.show_status(self.status)
