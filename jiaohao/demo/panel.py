"""The demo's devices made visible (Qt): the last printed ticket, the sentence being
spoken, the LED board as it shows its text, each window's keypad display, last key and
rating, and the log of what each device received. Fed a :class:`.watch.DevicesView`.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QBoxLayout, QHBoxLayout, QLabel, QPlainTextEdit, QSizePolicy, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from .watch import SCORES_EN, SCORES_ZH, STATES_ZH, DevicesView, LogLine

LOG_SHOWN = 60  # lines kept in the log box (the watch keeps more)


def tr(english: bool, zh: str, en: str) -> str:
    return en if english else zh


class TicketView(QLabel):
    """The last ticket's PNG, scaled to the label's width, as it came off the simulated printer."""

    def __init__(self):
        super().__init__(alignment=Qt.AlignTop | Qt.AlignHCenter)
        self.setObjectName("ticket")
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)
        self.path: Path | None = None
        self._pixmap = QPixmap()

    def show_ticket(self, path: Path | None, empty_text: str) -> None:
        if path is None:
            self.path = None
            self._pixmap = QPixmap()
            self.setText(empty_text)
            return
        if path != self.path:
            self.path = path
            self._pixmap = QPixmap(str(path))
        self._fit()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        w, h = max(40, self.width() - 4), max(40, self.height() - 4)
        self.setPixmap(self._pixmap.scaled(w, h, Qt.KeepAspectRatio, Qt.SmoothTransformation))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(60, 80)  # the ticket is scaled to the space it gets: it never pushes the window larger

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(120, 120)


class DevicesPanel(QWidget):
    """Every simulated device at a glance; :meth:`show_view` updates it."""

    def __init__(self, font_px: int = 16):
        super().__init__()
        self.setObjectName("devices")
        self.english = False
        self.font_px = font_px
        self.ticket = TicketView()
        self.voice = QLabel(objectName="voice", wordWrap=True)
        self.board = QLabel(objectName="board")  # one row a line, clipped, as on the board
        self.board.setTextFormat(Qt.RichText)
        self.board.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # a long line must not widen the window
        self.rating = QLabel(objectName="rating", wordWrap=True)
        self.windows = QTableWidget(0, 4, objectName="windows")
        self.windows.verticalHeader().hide()
        self.windows.setEditTriggers(QTableWidget.NoEditTriggers)
        self.windows.setSelectionMode(QTableWidget.NoSelection)
        self.windows.setFocusPolicy(Qt.NoFocus)
        header = self.windows.horizontalHeader()
        header.setSectionResizeMode(1, header.ResizeMode.Stretch)
        header.setMinimumSectionSize(20)
        self.log = QPlainTextEdit(objectName="log", readOnly=True)
        self.log.setMaximumBlockCount(LOG_SHOWN)
        self.log.setLineWrapMode(QPlainTextEdit.WidgetWidth)
        for box in (self.windows, self.log):  # both scroll: a short window keeps two rows of each
            box.setMinimumSize(80, 48)
        self.headings = {k: QLabel(objectName="heading") for k in ("ticket", "voice", "board", "windows", "log")}

        info = QVBoxLayout()
        for key, w in (("voice", self.voice), ("board", self.board)):
            info.addWidget(self.headings[key])
            info.addWidget(w)
        info.addWidget(self.rating)
        info.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.headings["ticket"])
        left.addWidget(self.ticket, 1)
        top = QHBoxLayout()
        top.addLayout(left, 2)
        top.addLayout(info, 5)
        table, logs = QVBoxLayout(), QVBoxLayout()
        table.addWidget(self.headings["windows"])
        table.addWidget(self.windows, 1)
        logs.addWidget(self.headings["log"])
        logs.addWidget(self.log, 1)
        # A short, wide panel (beside the hall screen on 1920×1080) puts the window table
        # and the log side by side; a tall one (a full-height column) stacks them.
        self.bottom = QBoxLayout(QBoxLayout.LeftToRight)  # the smaller minimum, until resized
        self.bottom.addLayout(table, 3)
        self.bottom.addLayout(logs, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top, 2)
        lay.addLayout(self.bottom, 3)
        self._lines: list[LogLine] = []
        self._view = DevicesView()
        self.set_font_px(font_px)
        self.set_english(False)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        wide = self.width() > self.height() * 1.1
        self.bottom.setDirection(QBoxLayout.LeftToRight if wide else QBoxLayout.TopToBottom)

    def set_font_px(self, px: int) -> None:
        self.font_px = px
        self.setStyleSheet(f"""
            QWidget#devices, QWidget#devices QLabel, QWidget#devices QTableWidget,
            QWidget#devices QPlainTextEdit, QWidget#devices QHeaderView::section {{ font-size: {px}px; }}
            QLabel#heading {{ font-weight: bold; color: #33506E; }}
            QLabel#voice {{ font-size: {round(px * 1.15)}px; }}
            QLabel#board {{ background: #0A0A0A; color: #FF3B1F; padding: 4px 8px;
                            font-size: {round(px * 1.2)}px; border: 2px solid #333; }}
            QLabel#ticket {{ background: #F4F1EA; border: 1px solid #BBB; color: #555; }}
        """)
        self.windows.verticalHeader().setDefaultSectionSize(round(px * 1.6))

    def set_english(self, english: bool) -> None:
        self.english = english
        t = lambda zh, en: tr(english, zh, en)  # noqa: E731
        for key, (zh, en) in {"ticket": ("最新打印的票", "Last printed ticket"),
                              "voice": ("正在播报", "Being spoken"),
                              "board": ("大厅LED屏", "Hall LED board"),
                              "windows": ("窗口设备（呼叫器 · 评价器）", "Window devices (keypad · evaluator)"),
                              "log": ("设备收到的内容", "What each device received")}.items():
            self.headings[key].setText(t(zh, en))
        self.windows.setHorizontalHeaderLabels([t("窗口", "Win."), t("呼叫器显示", "Keypad shows"),
                                                t("最近按键", "Last key"), t("评价", "Rating")])
        self._view.new_log = []  # already in the log box
        self.show_view(self._view)
        self.log.setPlainText("\n".join(line.text(english) for line in self._lines))

    def show_view(self, view: DevicesView) -> None:
        self._view = view
        en = self.english
        self.ticket.show_ticket(view.ticket_png, tr(en, "尚未打印", "nothing printed yet"))
        self.headings["ticket"].setText(tr(en, f"最新打印的票（共 {view.tickets} 张）",
                                           f"Last printed ticket ({view.tickets} in all)"))
        sound = tr(en, "声卡播放", "on the sound card") if view.sound == "card" else \
            tr(en, "无声卡，写入 WAV 文件", "no sound card: WAV files")
        sentence = escape(view.speaking) if view.speaking else tr(en, "（暂无）", "(nothing yet)")
        self.voice.setText(f"<b>{sentence}</b><br><span style='color:#666'>{sound} · "
                           f"{tr(en, '已播报', 'spoken')} {view.spoken}</span>")
        if view.boards:
            self.board.setText("<br>".join(escape(line) or "&nbsp;" for _, lines in view.boards[:1] for line in lines))
        else:
            self.board.setText(tr(en, "本厅没有模拟LED屏", "no simulated LED board in this hall"))
        if view.last_rating is None:
            self.rating.setText(tr(en, "最近评价：暂无", "Last rating: none yet"))
        else:
            w, score = view.last_rating
            self.rating.setText(tr(en, f"最近评价：{w}号窗口 {'★' * score} {SCORES_ZH.get(score, '')}",
                                   f"Last rating: window {w} {'★' * score} {SCORES_EN.get(score, '')}"))
        self._fill_windows(view)
        for line in view.new_log[-LOG_SHOWN:]:
            self._lines.append(line)
            self.log.appendPlainText(line.text(en))
        del self._lines[:-LOG_SHOWN]

    def _fill_windows(self, view: DevicesView) -> None:
        en = self.english
        t = self.windows
        t.setRowCount(len(view.windows))
        for row, d in enumerate(view.windows):
            state = d.state if en else STATES_ZH.get(d.state, d.state)
            shows = " ".join(x for x in (d.ticket, state if d.message != state else "", d.message) if x)
            rating = "—" if d.rating is None else f"{d.rating}★"
            if d.prompt:
                rating = tr(en, "请评价", "asking")
            cells = [str(d.window), shows, d.last_key_en if en else d.last_key_zh, rating]
            for col, text in enumerate(cells):
                item = t.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    t.setItem(row, col, item)
                if item.text() != text:
                    item.setText(text)
                    if col == 0:
                        item.setTextAlignment(Qt.AlignCenter)
        for col in (0, 2, 3):
            t.resizeColumnToContents(col)

