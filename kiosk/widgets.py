"""Touch widgets of the kiosk: service tiles, big buttons, on-screen keypads."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from .i18n import translate
from .issue_stop import STOPPED, stopped_text
from .model import CAP, CLOSED, ServiceTile


def label(role: str, text: str = "", align=Qt.AlignCenter, wrap: bool = True) -> QLabel:
    w = QLabel(text)
    w.setProperty("role", role)
    w.setAlignment(align)
    w.setWordWrap(wrap)
    return w


def button(text: str = "", kind: str = "") -> QPushButton:
    b = QPushButton(text)
    if kind:
        b.setProperty("kind", kind)
    b.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
    b.setFocusPolicy(Qt.NoFocus)  # keys go to the scanner buffer, never "press" a button
    return b


def add_pager(screen) -> QWidget:
    """A ◀ page n/m ▶ row for ``screen`` (which has a ``page_changed`` signal): sets its
    ``prev``, ``page_label``, ``next`` and ``pager``; the row's widget, to lay out."""
    row = QHBoxLayout()
    screen.prev = button("", "plain")
    screen.page_label = label("body", "")
    screen.next = button("", "plain")
    screen.prev.clicked.connect(lambda: screen.page_changed.emit(-1))
    screen.next.clicked.connect(lambda: screen.page_changed.emit(1))
    row.addWidget(screen.prev, 3)
    row.addWidget(screen.page_label, 2)
    row.addWidget(screen.next, 3)
    screen.pager = QWidget()
    screen.pager.setLayout(row)
    return screen.pager


def restyle(w: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    w.style().unpolish(w)
    w.style().polish(w)
    for child in w.findChildren(QWidget):
        child.style().unpolish(child)
        child.style().polish(child)


def figures_text(tile: ServiceTile, priority: bool = False, english: bool = False) -> str:
    """The second line of a tile: people waiting and the estimated wait, or why it is unavailable.

    A green-channel ticket is called before the others, so the estimate does not apply to it.
    """
    if tile.reason == STOPPED:
        return stopped_text(tile, english)
    if tile.reason == CLOSED:
        if tile.opens_at is not None:
            return translate("Kiosk", "Not open now · tickets from %1").replace(
                "%1", tile.opens_at.strftime("%H:%M"))
        return translate("Kiosk", "Closed for today")
    if tile.reason == CAP:
        return translate("Kiosk", "No tickets left today")
    if priority:
        return translate("Kiosk", "Called first · %1 waiting").replace("%1", str(tile.waiting))
    if tile.waiting == 0:
        return translate("Kiosk", "No wait")
    return (translate("Kiosk", "%1 waiting · about %2 min")
            .replace("%1", str(tile.waiting)).replace("%2", str(tile.wait_minutes)))


class TileButton(QPushButton):
    """A service as one large touch target: zone, name, and waiting figures or the reason it is off."""

    def __init__(self, tile: ServiceTile, english: bool, priority: bool = False):
        super().__init__()
        self.setObjectName("Tile")
        self.setFocusPolicy(Qt.NoFocus)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 12, 24, 12)
        lay.setSpacing(2)
        self.zone = label("zone", "", Qt.AlignLeft | Qt.AlignVCenter)
        self.name = label("name", "", Qt.AlignLeft | Qt.AlignVCenter)
        self.figures = label("figures", "", Qt.AlignLeft | Qt.AlignVCenter)
        for w in (self.zone, self.name, self.figures):
            w.setAttribute(Qt.WA_TransparentForMouseEvents)
            lay.addWidget(w)
        self.tile: ServiceTile | None = None
        self.show_tile(tile, english, priority)

    def show_tile(self, tile: ServiceTile, english: bool, priority: bool = False) -> None:
        """Show new figures in place (a press in progress is not lost to a refresh)."""
        self.tile = tile
        props = {"available": "true" if tile.available else "false", "priority": "true" if priority else "false"}
        changed = any(self.property(k) != v for k, v in props.items())
        for k, v in props.items():
            self.setProperty(k, v)
        self.zone.setText(tile.zone_label(english))
        self.zone.setVisible(bool(tile.zone))
        self.name.setText(tile.label(english))
        self.figures.setText(figures_text(tile, priority, english))
        self.setAccessibleName(f"{tile.label(english)} {self.figures.text()}")
        if changed:
            restyle(self)


class Keypad(QWidget):
    """An on-screen keypad; ``key`` emits the character, ``"back"``, ``"clear"`` or ``"ok"``."""

    key = Signal(str)

    DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]
    LETTERS = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ-")

    def __init__(self, letters: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setSpacing(12)
        self.letters_allowed = letters
        self.showing_letters = False
        self.buttons: dict[str, QPushButton] = {}
        self._build()

    def _build(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.buttons = {}
        keys = self.LETTERS if self.showing_letters else self.DIGITS
        cols = 6 if self.showing_letters else 3
        for i, k in enumerate(keys):
            b = button(self._caption(k), "key")
            b.clicked.connect(lambda _=False, k=k: self.key.emit(k))
            self.grid.addWidget(b, i // cols, i % cols)
            self.buttons[k] = b
        row = (len(keys) + cols - 1) // cols
        if self.showing_letters:
            for j, k in enumerate(("clear", "back")):
                b = button(self._caption(k), "key")
                b.clicked.connect(lambda _=False, k=k: self.key.emit(k))
                self.grid.addWidget(b, row, j * 3, 1, 3)
                self.buttons[k] = b
            row += 1
        if self.letters_allowed:
            b = button(self._caption("toggle"), "plain")
            b.clicked.connect(self.toggle)
            self.grid.addWidget(b, row, 0, 1, cols)
            self.buttons["toggle"] = b

    def _caption(self, k: str) -> str:
        if k == "back":
            return translate("Kiosk", "Delete")
        if k == "clear":
            return translate("Kiosk", "Clear")
        if k == "toggle":
            return translate("Kiosk", "123 digits") if self.showing_letters else translate("Kiosk", "ABC letters")
        return k

    def toggle(self) -> None:
        self.showing_letters = not self.showing_letters
        self._build()

    def reset(self) -> None:
        if self.showing_letters:
            self.toggle()

    def retranslate(self) -> None:
        for k, b in self.buttons.items():
            b.setText(self._caption(k))
