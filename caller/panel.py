"""The software caller: a Qt panel with the keys and displays of a caller keypad, for
windows that have a PC and no keypad (`jiaohao caller --window N`).

:class:`CallerModel` holds no Qt: it runs keys through :func:`caller.keys.apply_key`
and reads the window's state from the queue (the same functions that fill a keypad's
display). :class:`CallerPanel` is a thin widget over it: a display (current ticket,
waiting count, state, message line), a number pad for a key's argument (a ticket
number, a target window, a staff number) and large function keys with Chinese labels.
It re-reads the queue a few times a second, so tickets issued at a kiosk and calls made
elsewhere show up at once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QMenu, QPushButton, QSizePolicy, QVBoxLayout,
                               QWidget)

from drivers.windowbus.codec import PAUSE_CODES, EventCode
from hall import PAUSE_REASONS, HallError
from hall.port import Hall

from .booking import BookingDialog, BookingForm, booking_services
from .displays import state_message
from .keys import KeyOutcome, apply_key

log = logging.getLogger(__name__)

STATE_ZH = {"closed": "未登录", "idle": "空闲", "serving": "办理中", "paused": "暂停"}
HINTS = {"closed": "输入工号后按登录", "idle": "按呼叫请下一位", "serving": "办完请按完成", "paused": "按恢复继续服务"}
FONTS = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'


@dataclass(frozen=True)
class PanelView:
    window: int
    title: str
    state: str
    state_zh: str
    ticket: str
    service_name: str
    waiting: int
    message: str
    staff: str
    link_down: bool = False  # the hall cannot be reached: the keys are off, the state may be old


LINK_DOWN_KEYS = "按键暂不可用"


class CallerModel:
    """A window's caller without widgets: keys in, what the display shows out."""

    def __init__(self, queue: Hall, window: int):
        self.queue = queue
        self.window = window
        self.config_window = queue.config.window(window)
        self.note = ""
        self._seen = None
        self._last_id: int | None = None  # the last event looked at
        self._last_view: PanelView | None = None
        self._stale = False  # the last view() could not read the window: read again at the next poll

    def press(self, key: "EventCode | str", arg: int = 0) -> KeyOutcome:
        """Run a key; refused at once, and never queued, while the hall cannot be reached (the
        person presses again once it can: an answer lost before is then replayed, not redone)."""
        trouble = self.queue.link_trouble()
        if trouble is not None:
            self.note = "连接中断"
            return KeyOutcome(False, "连接中断", "link down", error=trouble[1])
        outcome = apply_key(self.queue, self.window, key, arg)
        self.note = outcome.note
        return outcome

    def case_ticket(self):
        """The ticket a 办件编号 goes to: the one being served, else the one finished last."""
        try:
            ws = self.queue.window_state(self.window)
        except HallError as e:
            self.note = getattr(e, "zh", None) or str(e)
            return None
        ticket = ws.current or ws.last
        if ticket is None:
            self.note = "没有正在办理或刚办结的号，不能登记办件"
        return ticket

    def attach_case(self, case_no: str) -> bool:
        """Attach a 办件编号 (typed, or scanned by a barcode reader that types) to
        :meth:`case_ticket`; the message line says what happened."""
        case_no = case_no.strip()
        ticket = self.case_ticket()
        if not case_no or ticket is None:
            return False
        try:
            self.queue.attach_case(ticket.id, case_no, source="caller")
        except HallError as e:
            self.note = getattr(e, "zh", None) or str(e)
            return False
        self.note = f"已登记办件 {case_no}（{ticket.number}）"
        return True

    def changed(self) -> bool:
        """True when something this window shows may have moved since the last call (an
        event of this window or of its services, from any process), or the hall server
        stopped or started answering. On a hall server the events come from the client's
        buffer: a hall of 120 window PCs does not ask the server at every event."""
        try:
            trouble = self.queue.link_trouble()
            if self._last_id is None:
                self._last_id, moved = self.queue.last_event_id(), True
            else:
                events = self.queue.events_after(self._last_id, 1000)
                moved = any(self._concerns(e) for e in events)
                if events:
                    self._last_id = events[-1].id
        except HallError as e:  # the hall server does not answer (yet)
            trouble, moved = (getattr(e, "zh", str(e)), str(e)), False
        if moved or trouble != self._seen or self._stale:
            self._seen = trouble
            return True
        return False

    def _concerns(self, e) -> bool:
        """Whether event ``e`` may change this window's state or its waiting count."""
        if e.window == self.window or (e.window is None and e.service is None):  # hall-wide: a day closed
            return True
        mine = self.config_window.services
        return (e.service in mine or e.data.get("to_service") in mine
                or e.data.get("to_window") == self.window)

    def view(self) -> PanelView:
        w = self.config_window
        title = f"{w.number}号窗口" + (f" · {w.name}" if w.name else "") + (f" · {w.department}" if w.department else "")
        try:
            ws = self.queue.window_state(self.window)
        except HallError as e:  # the last state stays, with the reason it is not current
            if not self._stale:
                log.warning("window %d: state not read: %s", self.window, e)
            self._stale = True
            last = self._last_view or PanelView(self.window, title, "closed", "", "", "", 0, "", "")
            why = _short(self.queue.link_trouble()) or getattr(e, "zh", None) or str(e)
            return replace(last, state_zh="状态未知", message=f"{why}\n{LINK_DOWN_KEYS}", link_down=True)
        self._stale = False
        state_zh = state_message(ws) if ws.state == "paused" else STATE_ZH[ws.state]
        trouble = self.queue.link_trouble()
        self._last_view = PanelView(self.window, title, ws.state, state_zh,
                                    ws.current.number if ws.current else "",
                                    ws.current.service_name if ws.current else "",
                                    ws.waiting, self.note or HINTS[ws.state], ws.staff or "")
        if trouble is not None:  # read a moment ago, but events may be missing: not shown as current
            return replace(self._last_view, state_zh="状态未知", message=f"{_short(trouble)}\n{LINK_DOWN_KEYS}",
                           link_down=True)
        return self._last_view


def _short(trouble: tuple[str, str] | None) -> str:
    """The link's trouble for the message line: the cut without the address (the staff
    cannot act on it; `diag check` names it), any other trouble in full."""
    if trouble is None:
        return ""
    return "连接中断，正在重连" if trouble[0].startswith("连接中断") else trouble[0]


KEYS = [  # (code, label, English tooltip, needs a typed number)
    (EventCode.CALL, "呼叫", "Call next", False),
    (EventCode.RECALL, "重呼", "Call again", False),
    (EventCode.FINISH, "完成", "Finish (the citizen is asked to rate)", False),
    (EventCode.SKIP, "过号", "No-show", False),
    (EventCode.CALL_TICKET, "指定呼叫", "Call the ticket number typed", True),
    (EventCode.TRANSFER, "转移", "Transfer to the window number typed", True),
    (EventCode.PAUSE, "暂停", "Pause (choose a reason)", False),
    (EventCode.RESUME, "恢复", "Resume", False),
    (EventCode.LOGIN, "登录", "Log in with the staff number typed", True),
    (EventCode.LOGOUT, "退出", "Log out", False),
]


class CallerPanel(QWidget):
    """The software caller of one window."""

    pressed = Signal(str, int, bool)  # key name, argument, accepted

    def __init__(self, model: CallerModel, refresh_ms: int = 300, parent=None):
        super().__init__(parent)
        self.model = model
        self.entry = ""
        self.setWindowTitle(f"叫号 · {model.window}号窗口 软件呼叫器")
        self.setObjectName("panel")
        self.setStyleSheet(f"""
            QWidget#panel {{ background: #1E2530; }}
            QLabel {{ color: #E8EDF3; font-family: {FONTS}; }}
            QWidget#display {{ background: #05080C; border: 3px solid #3A4657; border-radius: 10px; }}
            QLabel#ticket {{ color: #FF4D3A; font-family: "DejaVu Sans Mono", monospace; font-size: 72px;
                             font-weight: bold; }}
            QLabel#waiting {{ color: #FFC83D; font-size: 30px; }}
            QLabel#state {{ color: #5CE07A; font-size: 26px; }}
            QLabel#message {{ color: #FFFFFF; font-size: 28px; }}
            QLabel#entry {{ color: #7FD4FF; font-family: "DejaVu Sans Mono", monospace; font-size: 34px;
                            background: #05080C; border: 2px solid #3A4657; border-radius: 6px; padding: 4px 10px; }}
            QLabel#title {{ font-size: 24px; font-weight: bold; }}
            QPushButton {{ font-family: {FONTS}; font-size: 30px; min-height: 72px; min-width: 120px;
                           border-radius: 10px; background: #D7DEE8; color: #111; }}
            QPushButton:pressed {{ background: #9FB3CC; }}
            QPushButton:disabled {{ background: #3A4352; color: #7D8796; }}
            QPushButton[kind="call"] {{ background: #1F7A3A; color: white; font-size: 36px; }}
            QPushButton[kind="digit"] {{ background: #F4F6F9; font-size: 32px; min-width: 80px; }}
            QPushButton[kind="warn"] {{ background: #B3261E; color: white; }}
            QPushButton[kind="call"]:disabled, QPushButton[kind="warn"]:disabled {{ background: #3A4352;
                           color: #7D8796; }}
        """)
        outer = QVBoxLayout(self)
        self.title = QLabel(objectName="title")
        outer.addWidget(self.title)
        top = QHBoxLayout()
        outer.addLayout(top)

        display = QWidget(objectName="display")
        d = QVBoxLayout(display)
        self.ticket = QLabel(objectName="ticket", alignment=Qt.AlignCenter)
        self.service = QLabel(alignment=Qt.AlignCenter)
        self.service.setStyleSheet("font-size: 24px; color: #C9D3DF;")
        row = QHBoxLayout()
        self.waiting = QLabel(objectName="waiting")
        self.state = QLabel(objectName="state", alignment=Qt.AlignRight | Qt.AlignVCenter)
        row.addWidget(self.waiting)
        row.addWidget(self.state)
        self.message = QLabel(objectName="message", alignment=Qt.AlignCenter)
        self.message.setWordWrap(True)
        for wdg in (self.ticket, self.service):
            d.addWidget(wdg)
        d.addLayout(row)
        d.addWidget(self.message)
        display.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        top.addWidget(display, 3)

        pad = QVBoxLayout()
        self.entry_label = QLabel(objectName="entry", alignment=Qt.AlignRight | Qt.AlignVCenter)
        pad.addWidget(self.entry_label)
        grid = QGridLayout()
        self.digit_buttons: dict[str, QPushButton] = {}
        for i, label in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "清除", "0", "⌫"]):
            b = QPushButton(label)
            b.setProperty("kind", "digit")
            b.setFocusPolicy(Qt.NoFocus)
            b.clicked.connect(lambda _=False, t=label: self._digit(t))
            grid.addWidget(b, i // 3, i % 3)
            self.digit_buttons[label] = b
        pad.addLayout(grid)
        self.case_button = QPushButton("登记办件编号")
        self.case_button.setToolTip("Attach the case number (办件编号) of the ticket being served: type or scan it")
        self.case_button.setFocusPolicy(Qt.NoFocus)
        self.case_button.setStyleSheet("font-size: 24px; min-height: 56px;")
        self.case_button.clicked.connect(self.ask_case)
        extra = QHBoxLayout()  # the case number and, where the window takes bookings, 预约
        extra.addWidget(self.case_button, 2)
        self.book_button = None
        if booking_services(model.queue.config, model.config_window):  # 预约: book the citizen's next visit
            self.book_button = QPushButton("预约")
            self.book_button.setToolTip("Book the next visit for the citizen at the window")
            self.book_button.setFocusPolicy(Qt.NoFocus)
            self.book_button.setStyleSheet("font-size: 24px; min-height: 56px; min-width: 72px;")
            self.book_button.clicked.connect(self.open_booking)
            extra.addWidget(self.book_button, 1)
        pad.addLayout(extra)
        top.addLayout(pad, 2)

        keys = QGridLayout()
        self.key_buttons: dict[str, QPushButton] = {}
        for i, (code, label, tip, _) in enumerate(KEYS):
            b = QPushButton(label)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.NoFocus)
            if code is EventCode.CALL:
                b.setProperty("kind", "call")
            elif code in (EventCode.SKIP, EventCode.LOGOUT):
                b.setProperty("kind", "warn")
            if code is EventCode.PAUSE:
                menu = QMenu(b)
                menu.setStyleSheet(f"font-family: {FONTS}; font-size: 26px;")
                for reason, zh in [*PAUSE_REASONS.items(), (None, "暂停服务")]:
                    menu.addAction(zh, lambda r=reason: self.press(EventCode.PAUSE, PAUSE_CODES[r]))
                b.setMenu(menu)
            else:
                b.clicked.connect(lambda _=False, c=code: self.press(c))
            keys.addWidget(b, i // 5, i % 5)
            self.key_buttons[code.name] = b
        outer.addLayout(keys)

        self.timer = QTimer(self, interval=refresh_ms)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        self.model.changed()
        self.render()

    # -- actions -----------------------------------------------------------------------
    def _digit(self, label: str) -> None:
        if label == "清除":
            self.entry = ""
        elif label == "⌫":
            self.entry = self.entry[:-1]
        elif len(self.entry) < 5:
            self.entry += label
        self.render()

    def press(self, code: EventCode, arg: int | None = None) -> KeyOutcome:
        """Press ``code``; keys that take a number use the typed one (then clear it)."""
        needs = {c: n for c, _, _, n in KEYS}.get(code, False)
        if arg is None:
            arg = int(self.entry) if needs and self.entry else 0
        outcome = self.model.press(code, arg)
        if needs:
            self.entry = ""
        self.pressed.emit(code.name, arg, outcome.ok)
        self.render()
        return outcome

    def ask_case(self) -> None:
        """Ask for the 办件编号 (a barcode scanner types it into the box) and attach it."""
        from PySide6.QtWidgets import QInputDialog
        ticket = self.model.case_ticket()
        if ticket is not None:
            text, ok = QInputDialog.getText(self, "登记办件编号", f"{ticket.number}：扫描或输入办件编号 (case number)")
            if ok:
                self.model.attach_case(text)
        self.render()

    def open_booking(self, modal: bool = True) -> "BookingDialog":
        """The booking form, on the service of the ticket being served when there is one."""
        current = None
        try:
            ws = self.model.queue.window_state(self.model.window)
            current = ws.current.service if ws.current else None
        except HallError:
            pass
        dialog = BookingDialog(BookingForm(self.model.queue, self.model.window), service=current, parent=self)
        dialog.resize(640, 720)
        if modal:
            dialog.exec()
        else:
            dialog.show()
        return dialog

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        text = event.text()
        if text.isdigit():
            self._digit(text)
        elif event.key() == Qt.Key_Backspace:
            self._digit("⌫")
        elif event.key() in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Space):
            self.press(EventCode.CALL_TICKET if self.entry else EventCode.CALL)
        else:
            super().keyPressEvent(event)

    def poll(self) -> None:
        if self.model.changed():
            self.render()

    def render(self) -> None:
        v = self.model.view()
        self.title.setText(f"{v.title}" + (f"    工号 {v.staff}" if v.staff else ""))
        self.ticket.setText(v.ticket or "----")
        self.ticket.setStyleSheet("color: #56657A;" if v.link_down else "")  # not current while cut off
        self.state.setStyleSheet("color: #FFA43A;" if v.link_down else "")
        self.waiting.setStyleSheet("color: #8A97AB;" if v.link_down else "")  # the count of before the cut
        self.service.setText(v.service_name or " ")
        self.waiting.setText(f"等候 {v.waiting} 人")
        self.state.setText(v.state_zh)
        self.message.setText(v.message)
        self.entry_label.setText(self.entry or "<span style='color:#56657A;font-size:22px'>输入号码</span>")
        serving = v.state == "serving"
        ready = v.state in ("idle", "serving")
        self.key_buttons["CALL"].setEnabled(ready)
        self.key_buttons["CALL_TICKET"].setEnabled(ready)
        for name in ("RECALL", "FINISH", "SKIP", "TRANSFER"):
            self.key_buttons[name].setEnabled(serving)
        self.key_buttons["PAUSE"].setEnabled(v.state in ("idle", "serving"))
        self.key_buttons["RESUME"].setEnabled(v.state == "paused")
        self.key_buttons["LOGOUT"].setEnabled(v.state != "closed")
        if self.book_button is not None:  # 预约 needs the hall server too
            self.book_button.setEnabled(not v.link_down)
        if v.link_down:  # nothing can be delivered: every key off, the message line says why
            for b in self.key_buttons.values():
                b.setEnabled(False)


def run(queue: Hall, window: int, screenshot: str | None = None, login: bool = False,
        after_login=None) -> int:
    """Show the panel until it is closed (or grab it to ``screenshot`` and return); with
    ``login``, the 工号 + 密码 login screen first (a hall server, no caller device token)."""
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    if login:
        from .login import CallerWindow
        panel = CallerWindow(queue, window, after_login=after_login)
    else:
        panel = CallerPanel(CallerModel(queue, window))
    panel.resize(1000, 640)
    panel.show()
    if screenshot:
        app.processEvents()
        panel.grab().save(screenshot)
        return 0
    try:
        return app.exec()
    finally:
        if login:
            panel.close_session()
