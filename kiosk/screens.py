"""The kiosk's screens. Each only draws what it is given and reports taps by signals."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QBoxLayout, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from .i18n import translate
from .model import ServiceTile, TileGroup
from .widgets import Keypad, TileButton, add_pager, button, figures_text, label

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_name(i: int) -> str:
    return [translate("Kiosk", "Monday"), translate("Kiosk", "Tuesday"), translate("Kiosk", "Wednesday"),
            translate("Kiosk", "Thursday"), translate("Kiosk", "Friday"), translate("Kiosk", "Saturday"),
            translate("Kiosk", "Sunday")][i]


def date_text(now: datetime) -> str:
    return (translate("Kiosk", "%1/%2 %3").replace("%1", str(now.month)).replace("%2", str(now.day))
            .replace("%3", weekday_name(now.weekday())))


def secondary(source: str, english: bool) -> str:
    """The English original under a translated key message, for visitors who read no Chinese."""
    return "" if english else source


def _margins(lay, m: int = 40, spacing: int = 24):
    lay.setContentsMargins(m, m, m, m)
    lay.setSpacing(spacing)
    return lay


class SplitScreen(QWidget):
    """Two columns side by side on a landscape screen, one above the other on a portrait one."""

    def __init__(self, margin: int = 48, spacing: int = 24):
        super().__init__()
        self.split = _margins(QBoxLayout(QBoxLayout.TopToBottom, self), margin, spacing)
        self.first = QVBoxLayout()
        self.second = QVBoxLayout()
        for col in (self.first, self.second):
            col.setSpacing(spacing)
            self.split.addLayout(col, 1)

    def set_portrait(self, portrait: bool) -> None:
        self.split.setDirection(QBoxLayout.TopToBottom if portrait else QBoxLayout.LeftToRight)


class HomeScreen(QWidget):
    """Hall name and clock, the services as tiles, and the mode buttons."""

    tile_tapped = Signal(object)
    page_changed = Signal(int)
    green = Signal()
    check_in = Signal()
    elderly = Signal()
    language = Signal()
    guide = Signal()

    def __init__(self):
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        header = QWidget()
        header.setObjectName("Header")
        hl = QHBoxLayout(header)
        hl.setContentsMargins(40, 24, 40, 24)
        self.hall = label("title", "", Qt.AlignLeft | Qt.AlignVCenter)
        clock_box = QVBoxLayout()
        self.time = label("big", "", Qt.AlignRight | Qt.AlignVCenter, wrap=False)
        self.date = label("body", "", Qt.AlignRight | Qt.AlignVCenter, wrap=False)
        clock_box.addWidget(self.time)
        clock_box.addWidget(self.date)
        hl.addWidget(self.hall, 1)
        hl.addLayout(clock_box)
        outer.addWidget(header)

        body = QWidget()
        bl = _margins(QVBoxLayout(body), 32, 20)
        self.banner = QWidget()
        self.banner.setObjectName("Banner")
        banl = QVBoxLayout(self.banner)
        self.banner_text = label("body", "")
        banl.addWidget(self.banner_text)
        bl.addWidget(self.banner)
        self.hint = label("body", "")
        bl.addWidget(self.hint)

        self.paused = QWidget()
        self.paused.setObjectName("Paused")
        pl = _margins(QVBoxLayout(self.paused), 48, 32)
        self.paused_text = label("large", "")
        self.paused_secondary = label("body", "")
        self.paused_detail = label("body", "")
        pl.addStretch(1)
        for w in (self.paused_text, self.paused_secondary, self.paused_detail):
            pl.addWidget(w)
        pl.addStretch(1)
        bl.addWidget(self.paused, 1)

        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(20)
        bl.addWidget(self.grid_host, 1)

        add_pager(self)
        bl.addWidget(self.pager)
        outer.addWidget(body, 1)

        bar = QWidget()
        self.bar = QGridLayout(bar)
        self.bar.setContentsMargins(32, 8, 32, 32)
        self.bar.setSpacing(20)
        self.green_btn = button("", "green")
        self.checkin_btn = button("")
        self.elderly_btn = button("")
        self.lang_btn = button("", "plain")
        self.guide_btn = button("", "plain")  # 办事指南 (kiosk/guide_mode.py); hidden without a guide
        self.guide_btn.hide()
        self.guide_btn.clicked.connect(self.guide)
        self.green_btn.clicked.connect(self.green)
        self.checkin_btn.clicked.connect(self.check_in)
        self.elderly_btn.clicked.connect(self.elderly)
        self.lang_btn.clicked.connect(self.language)
        outer.addWidget(bar)
        self.tiles: list[TileButton] = []
        self._tile_shape: tuple | None = None
        self._shape: tuple | None = None

    def set_header(self, hall: str, now: datetime) -> None:
        self.hall.setText(hall)
        self.time.setText(now.strftime("%H:%M"))
        self.date.setText(date_text(now))

    def set_bar(self, english: bool, elderly: bool, priority: bool, portrait: bool, guide: bool = False,
                wide: bool = True) -> None:
        """``guide``: with the 办事指南 button; ``wide``: room for five buttons in one row (landscape)."""
        self.green_btn.setText(translate("Kiosk", "Back to normal tickets") if priority else translate("Kiosk", "Green channel"))
        self.checkin_btn.setText(translate("Kiosk", "Appointment check-in"))
        self.elderly_btn.setText(translate("Kiosk", "Standard mode") if elderly else translate("Kiosk", "Large text"))
        # Each language's button names the other language in its own words.
        self.lang_btn.setText("中文" if english else "English")
        self.guide_btn.setText(translate("Kiosk", "Service guide"))
        shape = (portrait, guide, elderly, wide)
        if shape != self._shape:
            self._shape = shape
            buttons = [self.green_btn, self.checkin_btn, self.elderly_btn, self.lang_btn]
            for b in buttons + [self.guide_btn]:
                self.bar.removeWidget(b)
            self.guide_btn.setVisible(guide)
            if guide and portrait:  # a row of its own above the others
                self.bar.addWidget(self.guide_btn, 0, 0, 1, 2)
            elif guide:  # first in the row; with large text or on a small window five do not fit one row: 3 + 2
                buttons = [self.guide_btn] + buttons
            cols = 2 if portrait else (3 if guide and (elderly or not wide) else len(buttons))
            top = 1 if guide and portrait else 0
            for i, b in enumerate(buttons):
                self.bar.addWidget(b, top + i // cols, i % cols)

    def set_mode(self, english: bool, priority: bool, paused: bool, detail: str = "",
                 compact: bool = False, offline: str = "") -> None:
        """``compact``: large text on a landscape screen, where the hint line would squeeze the tiles;
        ``offline``: the line that says tickets are issued offline (kiosk/offline.py)."""
        self.banner.setVisible(priority and not paused)
        self.banner_text.setText(translate("Kiosk", "Green channel: priority tickets for the elderly, the disabled, "
                                    "service members and pregnant women. Tap the service you need."))
        self.hint.setVisible(not paused and (bool(offline) or (not priority and not compact)))
        self.hint.setText(offline or translate("Kiosk", "Tap the service you need to take a ticket"))
        self.hint.setProperty("offline", bool(offline))
        self.hint.setStyleSheet("color: #9a3412; font-weight: bold;" if offline else "")
        self.paused.setVisible(paused)
        self.grid_host.setVisible(not paused)
        self.paused_text.setText(translate("Kiosk", "Ticket issue paused, please go to the service desk"))
        self.paused_secondary.setText(secondary("Ticket issue paused, please go to the service desk", english))
        self.paused_secondary.setVisible(not english)
        self.paused_detail.setText(detail)
        self.paused_detail.setVisible(bool(detail))
        for b in (self.green_btn, self.checkin_btn):
            b.setEnabled(not paused)

    def set_tiles(self, groups: list[TileGroup], english: bool, cols: int, page: int, pages: int,
                  priority: bool) -> None:
        tiles: list[ServiceTile] = [t for g in groups for t in g.tiles]
        rows = max(1, (len(tiles) + cols - 1) // cols)
        shape = ([t.code for t in tiles], cols)
        if shape == self._tile_shape:  # same services in the same places: update in place
            for w, tile in zip(self.tiles, tiles):
                w.show_tile(tile, english, priority)
        else:
            self._tile_shape = shape
            for t in self.tiles:
                self.grid.removeWidget(t)
                t.hide()
                t.setParent(None)
                t.deleteLater()
            self.tiles = []
            for i, tile in enumerate(tiles):
                w = TileButton(tile, english, priority)
                w.clicked.connect(lambda _=False, w=w: self.tile_tapped.emit(w.tile))
                self.grid.addWidget(w, i // cols, i % cols)
                self.tiles.append(w)
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 1 if r < rows else 0)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 1 if c < cols else 0)
        self.pager.setVisible(pages > 1)
        self.prev.setEnabled(page > 0)
        self.next.setEnabled(page < pages - 1)
        self.prev.setText(translate("Kiosk", "◀ Previous page"))
        self.next.setText(translate("Kiosk", "Next page ▶"))
        self.page_label.setText(translate("Kiosk", "Page %1 of %2").replace("%1", str(page + 1)).replace("%2", str(pages)))

    def rows_that_fit(self) -> int | None:
        """How many rows of tiles fit without clipping their text (None: not laid out yet).

        Text is sized to the screen, margins are not: on a small window (the demo's) or
        with elderly-mode text, fewer rows per page keep every line readable.
        """
        if not self.tiles or not self.grid_host.isVisible() or self.grid_host.height() <= 0:
            return None
        t = self.tiles[0]
        if t.width() < 50:
            return None
        need = max(w.layout().totalHeightForWidth(w.width()) if w.layout().hasHeightForWidth()
                   else w.layout().totalSizeHint().height() for w in self.tiles) + 8
        spacing = self.grid.spacing()
        return max(1, (self.grid_host.height() + spacing) // (need + spacing))

    def tile(self, code: str) -> TileButton | None:
        return next((t for t in self.tiles if t.tile.code == code), None)


class ConfirmScreen(QWidget):
    confirmed = Signal()
    back = Signal()

    def __init__(self):
        super().__init__()
        lay = _margins(QVBoxLayout(self), 60, 40)
        self.title = label("big")
        self.name = label("large")
        self.figures = label("big")
        self.ok = button("", "green")
        self.cancel = button("", "plain")
        self.ok.clicked.connect(self.confirmed)
        self.cancel.clicked.connect(self.back)
        lay.addStretch(1)
        for w in (self.title, self.name, self.figures):
            lay.addWidget(w)
        lay.addStretch(1)
        lay.addWidget(self.ok)
        lay.addWidget(self.cancel)

    def show_tile(self, tile: ServiceTile, english: bool, priority: bool) -> None:
        self.title.setText(translate("Kiosk", "Take a green channel ticket for") if priority else translate("Kiosk", "Take a ticket for"))
        self.name.setText(tile.label(english))
        self.figures.setText(figures_text(tile, priority))
        self.ok.setText(translate("Kiosk", "Yes, print my ticket"))
        self.cancel.setText(translate("Kiosk", "Back"))


class IssuingScreen(QWidget):
    def __init__(self):
        super().__init__()
        lay = _margins(QVBoxLayout(self), 60, 40)
        self.text = label("big")
        self.secondary = label("secondary")
        lay.addStretch(1)
        lay.addWidget(self.text)
        lay.addWidget(self.secondary)
        lay.addStretch(1)

    def retranslate(self, english: bool) -> None:
        self.text.setText(translate("Kiosk", "Printing your ticket, please wait…"))
        self.secondary.setText(secondary("Printing your ticket, please wait…", english))


class DoneScreen(QWidget):
    """The number, large, with "please take your ticket" and the people ahead."""

    close_ = Signal()

    def __init__(self):
        super().__init__()
        lay = _margins(QVBoxLayout(self), 50, 18)
        self.your = label("body")
        self.number = label("huge", wrap=False)
        self.kind = label("tag")
        self.service = label("big")
        self.take = label("callout")
        self.take_secondary = label("secondary")
        self.ahead = label("big")
        self.countdown = label("small")
        self.ok = button("")
        self.ok.clicked.connect(self.close_)
        self.blocks = []
        for widgets in ((self.your, self.number, self.kind),
                        (self.service, self.take, self.take_secondary, self.ahead)):
            block = QWidget()
            col = QVBoxLayout(block)
            col.setSpacing(18)
            for w in widgets:
                col.addWidget(w)
            self.blocks.append(block)
        self.grid = QGridLayout()
        self.grid.setSpacing(40)
        lay.addStretch(1)
        lay.addLayout(self.grid)
        lay.addStretch(1)
        lay.addWidget(self.countdown)
        lay.addWidget(self.ok)
        self._portrait = None
        self.set_portrait(True)

    def set_portrait(self, portrait: bool) -> None:
        if portrait == self._portrait:
            return
        self._portrait = portrait
        for b in self.blocks:
            self.grid.removeWidget(b)
        self.grid.addWidget(self.blocks[0], 0, 0)
        self.grid.addWidget(self.blocks[1], 1, 0) if portrait else self.grid.addWidget(self.blocks[1], 0, 1)

    def show_ticket(self, ticket, service_label: str, english: bool) -> None:
        self.your.setText(translate("Kiosk", "Your number"))
        self.number.setText(ticket.number)
        kinds = {"priority": translate("Kiosk", "Green channel ticket"), "appointment": translate("Kiosk", "Appointment ticket")}
        self.kind.setText(kinds.get(ticket.kind, ""))
        self.kind.setVisible(ticket.kind in kinds)
        self.service.setText(service_label)
        self.take.setText(translate("Kiosk", "Please take your ticket"))
        self.take_secondary.setText(secondary("Please take your ticket", english))
        self.take_secondary.setVisible(not english)
        if getattr(ticket, "offline", False):
            n = getattr(ticket, "ahead_estimate", None)
            self.ahead.setText(translate("Kiosk", "About %1 people ahead (offline estimate)")
                               .replace("%1", str(n)) if n is not None
                               else translate("Kiosk", "Offline ticket: people ahead not known yet"))
        else:
            self.ahead.setText(translate("Kiosk", "People ahead of you: %1").replace("%1", str(ticket.ahead)))
        self.ok.setText(translate("Kiosk", "Done"))

    def set_countdown(self, seconds: int) -> None:
        self.countdown.setText(translate("Kiosk", "Back to the start in %1 s").replace("%1", str(max(0, seconds))))


class MessageScreen(QWidget):
    close_ = Signal()

    def __init__(self):
        super().__init__()
        lay = _margins(QVBoxLayout(self), 60, 36)
        self.text = label("big")
        self.secondary = label("secondary")
        self.detail = label("big")
        self.ok = button("")
        self.ok.clicked.connect(self.close_)
        lay.addStretch(1)
        for w in (self.text, self.secondary, self.detail):
            lay.addWidget(w)
        lay.addStretch(1)
        lay.addWidget(self.ok)

    def show_message(self, text: str, source: str, detail: str, english: bool) -> None:
        self.text.setText(text)
        self.secondary.setText(secondary(source, english))
        self.secondary.setVisible(not english and bool(source))
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.ok.setText(translate("Kiosk", "Back"))


class CodeEntryScreen(SplitScreen):
    """A title, what was typed so far, an on-screen keypad, OK and Back (check-in and PINs)."""

    submitted = Signal(str)
    back = Signal()

    def __init__(self, letters: bool, secret: bool, max_length: int = 32):
        super().__init__(48, 24)
        self.secret = secret
        self.max_length = max_length
        self.locked = False  # too many wrong PINs: keys and OK do nothing
        self.value = ""
        self.title = label("big")
        self.hint = label("body")
        self.display = label("code", wrap=False)
        self.error = label("alert")  # a wrong PIN, or the PIN pad locked and for how long
        self.error.hide()
        self.keypad = Keypad(letters)
        self.keypad.key.connect(self._key)
        self.ok = button("", "green")
        self.cancel = button("", "plain")
        self.ok.clicked.connect(lambda: self.submitted.emit(self.value))
        self.cancel.clicked.connect(self.back)
        for w in (self.title, self.hint, self.display, self.error):
            self.first.addWidget(w)
        self.first.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.cancel)
        row.addWidget(self.ok)
        self.first.addLayout(row)
        self.second.addWidget(self.keypad, 1)
        self._refresh()

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        # portrait: keypad between the code and the buttons; landscape: keypad on the right
        self.split.setStretch(0, 0 if portrait else 1)

    def _key(self, k: str) -> None:
        if self.locked:
            return
        if k == "back":
            self.value = self.value[:-1]
        elif k == "clear":
            self.value = ""
        elif len(self.value) < self.max_length:
            self.value += k
        self._refresh()

    def type_text(self, text: str) -> None:
        """Characters from a hardware keyboard or barcode scanner."""
        for ch in text:
            if ch.isalnum() or ch == "-":
                self._key(ch.upper())

    def clear(self) -> None:
        self.value = ""
        self.show_error("")
        self.keypad.reset()
        self._refresh()

    def _refresh(self) -> None:
        shown = "●" * len(self.value) if self.secret else self.value
        self.display.setText(shown or " ")
        self.ok.setEnabled(bool(self.value) and not self.locked)

    def set_texts(self, title: str, hint: str, ok: str) -> None:
        self.title.setText(title)
        self.hint.setText(hint)
        self.ok.setText(ok)
        self.cancel.setText(translate("Kiosk", "Back"))
        self.keypad.retranslate()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_locked(self, locked: bool) -> None:
        """Lock the pad (too many wrong PINs): the digits typed so far are dropped."""
        if locked == self.locked:
            return
        self.locked = locked
        if locked:
            self.value = ""
        self.keypad.setEnabled(not locked)
        self._refresh()


class TechnicianScreen(QWidget):
    exit_ = Signal()
    back = Signal()

    def __init__(self):
        super().__init__()
        lay = _margins(QVBoxLayout(self), 60, 30)
        self.title = label("big")
        self.info = label("body", align=Qt.AlignLeft | Qt.AlignVCenter)
        self.quit = button("")
        self.resume = button("", "green")
        self.quit.clicked.connect(self.exit_)
        self.resume.clicked.connect(self.back)
        lay.addWidget(self.title)
        lay.addWidget(self.info, 1)
        lay.addWidget(self.resume)
        lay.addWidget(self.quit)

    def show_info(self, lines: list[str]) -> None:
        self.title.setText(translate("Kiosk", "Technician"))
        self.info.setText("\n".join(lines))
        self.quit.setText(translate("Kiosk", "Exit the kiosk"))
        self.resume.setText(translate("Kiosk", "Back to the kiosk"))
