"""The kiosk's 查询 mode: the guide list (browse by zone or department, search by pinyin)
and an item's page (materials as a checklist, print it, take a ticket). Each screen only
draws what it is given (:class:`kiosk.guide_model.GuideBrowser`, a guide entry) and
reports taps by signals; the window (kiosk/guide_mode.py) joins them to the flow."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QBoxLayout, QGridLayout, QHBoxLayout, QScrollArea, QScroller, QSizePolicy,
                               QVBoxLayout, QWidget)

from .i18n import translate
from .screens import SplitScreen
from .widgets import add_pager, button, label, restyle


class LetterKeys(QWidget):
    """A compact A–Z keyboard for pinyin initials (smaller keys than the PIN pad's, so the
    list above it keeps room); ``key`` emits a letter, ``"back"`` or ``"clear"``."""

    key = Signal(str)
    COLS = 7

    def __init__(self):
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        self.buttons = {}
        for i, k in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            b = button(k, "letter")
            b.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # seven across even on a narrow window
            b.clicked.connect(lambda _=False, k=k: self.key.emit(k))
            grid.addWidget(b, i // self.COLS, i % self.COLS)
            self.buttons[k] = b
        b = button("", "letter")  # V–Z fill the last row's first five places
        b.clicked.connect(lambda: self.key.emit("back"))
        grid.addWidget(b, 3, 5, 1, 2)
        self.buttons["back"] = b

    def retranslate(self) -> None:
        self.buttons["back"].setText(translate("Kiosk", "Delete"))


class RowButton(QWidget):
    """A group or an item of the list as one large touch target (title, detail under it)."""

    tapped = Signal(object)

    def __init__(self):
        super().__init__()
        self.btn = button("", "plain")
        self.btn.setObjectName("Tile")
        lay = QVBoxLayout(self.btn)
        lay.setContentsMargins(20, 8, 20, 8)
        lay.setSpacing(0)
        self.title = label("name", "", Qt.AlignLeft | Qt.AlignVCenter)
        self.detail = label("zone", "", Qt.AlignLeft | Qt.AlignVCenter)
        for w in (self.title, self.detail):
            w.setAttribute(Qt.WA_TransparentForMouseEvents)
            lay.addWidget(w)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.btn)
        self.row = None
        self.btn.clicked.connect(lambda: self.tapped.emit(self.row))

    def show_row(self, row, english: bool) -> None:
        self.row = row
        self.title.setText(row.title)
        if row.kind == "group":
            self.detail.setText(translate("Kiosk", "%1 items").replace("%1", row.detail))
        else:
            self.detail.setText(row.detail)
        self.detail.setVisible(bool(row.detail))
        self.btn.setAccessibleName(row.title)
        self.btn.setMinimumHeight(self.title.sizeHint().height() + self.detail.sizeHint().height() + 24)


class GuideScreen(SplitScreen):
    """The guide's list: groups or items, a letter keyboard for pinyin, pages, back."""

    row_tapped = Signal(object)
    key = Signal(str)
    by_changed = Signal(str)
    page_changed = Signal(int)
    back = Signal()

    def __init__(self, max_rows: int = 8):
        super().__init__(40, 16)
        self.title = label("big", "", Qt.AlignLeft | Qt.AlignVCenter)
        toggles = QHBoxLayout()
        self.by_zone = button("", "plain")
        self.by_dept = button("", "plain")
        self.by_zone.clicked.connect(lambda: self.by_changed.emit("zone"))
        self.by_dept.clicked.connect(lambda: self.by_changed.emit("department"))
        toggles.addWidget(self.by_zone)
        toggles.addWidget(self.by_dept)
        self.path = label("body", "", Qt.AlignLeft | Qt.AlignVCenter)
        self.empty = label("body", "")
        self.rows = [RowButton() for _ in range(max_rows)]
        for r in self.rows:
            r.tapped.connect(self.row_tapped)
            r.hide()  # shown as rows are given (show_browser): hidden ones ask for no room
        add_pager(self)
        self.search = label("code", "", Qt.AlignLeft | Qt.AlignVCenter, wrap=False)
        self.search_hint = label("small", "", Qt.AlignLeft | Qt.AlignVCenter)
        self.keypad = LetterKeys()
        self.keypad.key.connect(self.key)
        self.back_btn = button("")
        self.back_btn.clicked.connect(self.back)

        self.first.addWidget(self.title)
        self.first.addLayout(toggles)
        self.first.addWidget(self.path)
        # the list takes the room left (its own size asks for none): rows_that_fit() says how many rows
        self.list_host = QWidget()
        self.list_host.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Ignored)
        self.list_box = QVBoxLayout(self.list_host)
        self.list_box.setContentsMargins(0, 0, 0, 0)
        self.list_box.setSpacing(12)
        for r in self.rows:
            self.list_box.addWidget(r)
        self.list_box.addWidget(self.empty)
        self.list_box.addStretch(1)
        self.first.addWidget(self.list_host, 1)
        self.first.addWidget(self.pager)
        self.second.addWidget(self.search)
        self.second.addWidget(self.search_hint)
        self.second.addWidget(self.keypad)
        self.second.addStretch(1)
        self.second.addWidget(self.back_btn)

    def set_portrait(self, portrait: bool) -> None:
        super().set_portrait(portrait)
        self.split.setStretch(0, 1)
        self.split.setStretch(1, 0 if portrait else 1)

    def rows_that_fit(self) -> int | None:
        """Rows of the current size that fit the list's room (None: not laid out yet)."""
        shown = [r for r in self.rows if r.isVisible()]
        if not shown or self.list_host.height() <= 0:
            return None
        width = self.list_host.width()
        need = max(r.layout().totalHeightForWidth(width) if r.layout().hasHeightForWidth()
                   else r.sizeHint().height() for r in shown)
        gap = self.list_box.spacing()
        return max(1, (self.list_host.height() + gap) // (need + gap))

    def show_browser(self, browser, english: bool) -> None:
        self.title.setText(translate("Kiosk", "Service guide"))
        self.by_zone.setText(translate("Kiosk", "By zone"))
        self.by_dept.setText(translate("Kiosk", "By department"))
        for b, by in ((self.by_zone, "zone"), (self.by_dept, "department")):
            kind = "" if browser.by == by and not browser.query else "plain"
            if b.property("kind") != kind:
                b.setProperty("kind", kind)
                restyle(b)
        if browser.query:
            self.path.setText(translate("Kiosk", "Search results"))
        elif browser.group:
            self.path.setText(browser.group)
        else:
            self.path.setText(translate("Kiosk", "Tap an area, or type the pinyin initials of the item"))
        rows = browser.rows(english)
        for w, row in zip(self.rows, rows + [None] * len(self.rows)):
            if row is None:
                w.hide()
            else:
                w.show_row(row, english)
                w.show()
        self.empty.setText(translate("Kiosk", "Nothing found. Delete a letter, or ask at the service desk."))
        self.empty.setVisible(not rows)
        pages = browser.pages(english)
        self.pager.setVisible(pages > 1)
        self.prev.setEnabled(browser.page > 0)
        self.next.setEnabled(browser.page < pages - 1)
        self.prev.setText(translate("Kiosk", "◀ Previous page"))
        self.next.setText(translate("Kiosk", "Next page ▶"))
        self.page_label.setText(translate("Kiosk", "Page %1 of %2").replace("%1", str(browser.page + 1))
                                .replace("%2", str(pages)))
        self.search.setText(browser.query.upper() or " ")
        self.search_hint.setText(translate("Kiosk", "Search: type pinyin initials, e.g. BDC for 不动产登记"))
        self.keypad.retranslate()
        self.back_btn.setText(translate("Kiosk", "Back") if (browser.query or browser.group)
                              else translate("Kiosk", "Back to tickets"))


def _where(entry, guide, english: bool) -> str:
    zone = guide.zone(entry)
    windows = guide.windows(entry)
    if not windows:
        return zone
    nums = "、".join(map(str, windows))
    return f"{zone} " + (translate("Kiosk", "windows %1").replace("%1", nums) if english else f"{nums}号窗口")


class GuideItemScreen(QWidget):
    """One item: where, time limit, fee, the materials as a checklist, the steps; print, take a ticket."""

    print_ = Signal()
    take = Signal()
    back = Signal()

    def __init__(self):
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 32, 40, 32)
        outer.setSpacing(14)
        self.name = label("big", "", Qt.AlignLeft | Qt.AlignVCenter)  # across the whole width
        outer.addWidget(self.name)
        self.box = QBoxLayout(QBoxLayout.TopToBottom)
        self.box.setSpacing(24)
        outer.addLayout(self.box, 1)
        self.head = label("body", "", Qt.AlignLeft | Qt.AlignTop)
        self.head.setTextFormat(Qt.PlainText)
        self.meta = self.head
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        QScroller.grabGesture(self.scroll.viewport(), QScroller.LeftMouseButtonGesture)  # drag to scroll
        body = QWidget()
        body.setObjectName("GuideBody")
        self.body = QVBoxLayout(body)
        self.body.setSpacing(8)
        self.scroll.setWidget(body)
        self.foot = QWidget()
        foot = QVBoxLayout(self.foot)
        foot.setContentsMargins(0, 0, 0, 0)
        self.status = label("alert", "")
        self.status.hide()
        self.buttons = QBoxLayout(QBoxLayout.LeftToRight)
        self.back_btn = button("", "plain")
        self.print_btn = button("")
        self.take_btn = button("", "green")
        self.back_btn.clicked.connect(self.back)
        self.print_btn.clicked.connect(self.print_)
        self.take_btn.clicked.connect(self.take)
        for b, stretch in ((self.back_btn, 2), (self.print_btn, 3), (self.take_btn, 3)):
            self.buttons.addWidget(b, stretch)
        foot.addWidget(self.status)
        foot.addLayout(self.buttons)
        # landscape: where/when/fee and the buttons on the left, the checklist on the right
        self.left = QWidget()
        self.left_lay = QVBoxLayout(self.left)
        self.left_lay.setContentsMargins(0, 0, 0, 0)
        self._portrait: bool | None = None
        self.set_portrait(True)
        self.code = None
        self._parts: list[QWidget] = []

    def set_portrait(self, portrait: bool) -> None:
        if portrait == self._portrait:
            return
        self._portrait = portrait
        for w in (self.head, self.scroll, self.foot, self.left):
            self.box.removeWidget(w)
        while self.left_lay.count():
            self.left_lay.takeAt(0)
        if portrait:  # the facts, the checklist, the buttons in a row under it
            self.box.setDirection(QBoxLayout.TopToBottom)
            self.buttons.setDirection(QBoxLayout.LeftToRight)
            self.box.addWidget(self.head)
            self.box.addWidget(self.scroll, 1)
            self.box.addWidget(self.foot)
            self.left.hide()
        else:
            self.box.setDirection(QBoxLayout.LeftToRight)
            self.buttons.setDirection(QBoxLayout.BottomToTop)  # 取号 on top, 返回 at the bottom
            self.left_lay.addWidget(self.head)
            self.left_lay.addStretch(1)
            self.left_lay.addWidget(self.foot)
            self.box.addWidget(self.left, 2)
            self.box.addWidget(self.scroll, 3)
            self.left.show()
        self.head.show()
        self.foot.show()

    def show_entry(self, entry, guide, english: bool, can_print: bool, take_text: str) -> None:
        self.name.setText((entry.name_en or entry.name) if english else entry.name)
        meta = []
        if entry.department:
            meta.append(translate("Kiosk", "Department: %1").replace("%1", entry.department))
        where = _where(entry, guide, english)
        if where:
            meta.append(translate("Kiosk", "Where: %1").replace("%1", where))
        limit = entry.time_limit_en if english else entry.time_limit_zh
        if limit:
            meta.append(translate("Kiosk", "Time limit: %1").replace("%1", limit))
        meta.append(translate("Kiosk", "Fee: %1").replace("%1", entry.fee))
        self.meta.setText("\n".join(meta))
        if self.code != (entry.code, english):
            self.code = (entry.code, english)
            self._fill(entry, english)
            self.scroll.verticalScrollBar().setValue(0)
        self.print_btn.setText(translate("Kiosk", "Print the checklist"))
        self.print_btn.setEnabled(can_print)
        self.take_btn.setText(take_text)
        self.back_btn.setText(translate("Kiosk", "Back"))

    def _fill(self, entry, english: bool) -> None:
        while self.body.count():
            item = self.body.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._parts = []

        def add(role: str, text: str, indent: int = 0) -> None:
            w = label(role, text, Qt.AlignLeft | Qt.AlignTop)
            w.setTextFormat(Qt.PlainText)
            w.setContentsMargins(indent, 0, 0, 0)
            self.body.addWidget(w)
            self._parts.append(w)

        add("big", translate("Kiosk", "Materials to bring (%1)").replace("%1", str(len(entry.materials))))
        for i, m in enumerate(entry.materials, 1):
            copies = f" ×{m.copies}" if m.copies > 1 else ""
            name = (m.name_en or m.name) if english else m.name
            add("body", f"☐ {i}. {name}（{m.form}{copies}）")
            extra = [m.note] if m.note else []
            if m.electronic:
                extra.append(translate("Kiosk", "Can be shared electronically"))
            if extra:
                add("small", "；".join(extra), indent=self.name.fontMetrics().height())
        if not entry.materials:
            add("body", translate("Kiosk", "No materials needed"))
        for title, text in ((translate("Kiosk", "Steps"), "\n".join(f"{i}. {s}" for i, s in enumerate(entry.steps, 1))),
                            (translate("Kiosk", "Who can apply"), entry.conditions), (translate("Kiosk", "Please note"), entry.notes),
                            (translate("Kiosk", "Legal basis"), entry.legal_basis)):
            if text:
                add("big", title)
                add("body", text)
        if entry.phone_consult:
            add("body", translate("Kiosk", "Enquiries: %1").replace("%1", entry.phone_consult))
        if entry.sample:
            add("small", translate("Kiosk", "Sample text: ask at the window for the hall's own guide"))
        self.body.addStretch(1)

    def show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
