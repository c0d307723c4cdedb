"""The software caller's login on a hall server: 工号 + 密码 first, then the panel.

A window PC without a caller device token logs its member of staff in with
``POST /api/v1/login`` (the window given, so the window is logged in too); the session
token then acts on that window only. 退出 on the panel ends the session and brings the
login back; so does a session the server no longer accepts (expired, disabled).

:class:`LoginModel` holds no Qt: it turns what was typed into a session or a sentence.
:class:`LoginScreen` is big and plain (many users are not young); :class:`CallerWindow`
shows one or the other.
"""
from __future__ import annotations

import logging
import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from hall import HallError
from hall.errors import NotAuthorized, ServerUnreachable, TooManyAttempts

from .panel import FONTS, CallerModel, CallerPanel

log = logging.getLogger(__name__)


def wait_words(seconds: float) -> tuple[str, str]:
    s = max(1, math.ceil(seconds))
    if s >= 60:
        m = math.ceil(s / 60)
        return f"{m} 分钟", f"{m} min"
    return f"{s} 秒", f"{s} s"


class LoginModel:
    """Logs a member of staff in at ``window`` of a remote hall (hall.remote.RemoteHall)."""

    def __init__(self, hall, window: int):
        self.hall = hall
        self.window = window

    def login(self, staff: str, password: str) -> tuple[bool, str, str]:
        """(ok, 中文, English): the session started, or why not in words."""
        staff = staff.strip()
        if not staff:
            return False, "请输入工号", "Type your staff number"
        if not password:
            return False, "请输入密码", "Type your password"
        try:
            s = self.hall.staff_login(staff, password, self.window)
        except TooManyAttempts as e:
            zh, en = wait_words(e.retry_after)
            return False, f"密码错误次数过多，请 {zh}后再试", f"Too many wrong passwords: try again in {en}"
        except ServerUnreachable as e:
            return False, e.zh, str(e)
        except HallError as e:
            return False, getattr(e, "zh", "") or str(e), str(e)
        log.info("window %d: %s (%s) logged in", self.window, s.get("staff"), s.get("name"))
        return True, f"{s.get('name') or s.get('staff')} 已登录", "logged in"

    def logout(self) -> None:
        """Log the window out and end the session (as far as the server answers)."""
        try:
            self.hall.logout(self.window)
        except HallError as e:
            log.info("window %d: logout: %s", self.window, e)
        try:
            self.hall.staff_logout()
        except HallError as e:
            log.warning("window %d: the session was not ended on the server: %s", self.window, e)


class LoginScreen(QWidget):
    """工号 and 密码, one big button, the reason of a refusal in words."""

    logged_in = Signal()

    def __init__(self, model: LoginModel, title: str, parent=None):
        super().__init__(parent)
        self.model = model
        self.setObjectName("login")
        self.setAttribute(Qt.WA_StyledBackground, True)  # (a QWidget subclass paints no styled background otherwise)
        self.setStyleSheet(f"""
            QWidget#login {{ background: #1E2530; }}
            QLabel {{ color: #E8EDF3; font-family: {FONTS}; font-size: 28px; }}
            QLabel#title {{ font-size: 38px; font-weight: bold; }}
            QLabel#error {{ color: #FF6B5A; font-size: 28px; }}
            QLineEdit {{ font-family: {FONTS}; font-size: 34px; min-height: 64px; padding: 4px 12px;
                         border-radius: 8px; background: #F4F6F9; color: #111; }}
            QPushButton {{ font-family: {FONTS}; font-size: 36px; min-height: 80px; border-radius: 10px;
                           background: #1F7A3A; color: white; }}
            QPushButton:disabled {{ background: #3A4352; color: #7D8796; }}
        """)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(160, 60, 160, 60)
        lay.addWidget(QLabel(title, objectName="title", alignment=Qt.AlignCenter))
        lay.addStretch(1)
        lay.addWidget(QLabel("工号 Staff number"))
        self.staff = QLineEdit()
        self.staff.setMaxLength(32)
        lay.addWidget(self.staff)
        lay.addWidget(QLabel("密码 Password"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.Password)
        self.password.setMaxLength(128)
        lay.addWidget(self.password)
        self.error = QLabel(objectName="error", alignment=Qt.AlignCenter)
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        self.button = QPushButton("登录 Log in")
        lay.addWidget(self.button)
        lay.addStretch(2)
        self.button.clicked.connect(self.submit)
        self.staff.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.submit)

    def say(self, zh: str, en: str = "") -> None:
        self.error.setText(zh + (f"\n{en}" if en and en != zh else ""))

    def submit(self) -> bool:
        self.button.setEnabled(False)
        self.say("正在登录…", "Logging in…")
        self.repaint()  # the words show while the server is asked (at most its time-out)
        try:
            ok, zh, en = self.model.login(self.staff.text(), self.password.text())
        finally:
            self.button.setEnabled(True)
        self.password.clear()
        if ok:
            self.error.clear()
            self.logged_in.emit()
        else:
            self.say(zh, en)
            (self.staff if not self.staff.text().strip() else self.password).setFocus()
        return ok


class CallerWindow(QStackedWidget):
    """The software caller on a hall server: the login screen, then the window's panel.

    ``after_login`` runs once a login has succeeded and before the panel is made (the
    command fetches the server's hall configuration there with the new session); the
    panel is made at the first login, when the hall's configuration is known."""

    def __init__(self, hall, window: int, refresh_ms: int = 300, after_login=None, parent=None):
        super().__init__(parent)
        self.hall = hall
        self.window = window
        self.refresh_ms = refresh_ms
        self.after_login = after_login
        self.setWindowTitle(f"叫号 · {window}号窗口 软件呼叫器")
        self.login_model = LoginModel(hall, window)
        name = ""
        if hall.config is not None:
            try:
                name = hall.config.window(window).name
            except KeyError:
                pass
        self.login = LoginScreen(self.login_model, f"{window}号窗口" + (f" · {name}" if name else "") + " 登录")
        self.panel: CallerPanel | None = None
        self.addWidget(self.login)
        self.login.logged_in.connect(self.show_panel)

    def show_panel(self) -> None:
        if self.panel is None:
            try:
                if self.after_login is not None:
                    self.after_login()
                self.hall.config.window(self.window)
            except (HallError, KeyError) as e:
                why = getattr(e, "zh", "") or f"没有{self.window}号窗口"
                self.login_model.logout()
                self.show_login(why, str(e))
                return
            self.panel = CallerPanel(CallerModel(self.hall, self.window), refresh_ms=self.refresh_ms)
            self.panel.pressed.connect(self._pressed)
            self.addWidget(self.panel)
        self.panel.model.note = ""
        self.panel.render()
        self.panel.timer.start()
        self.setCurrentWidget(self.panel)

    def show_login(self, zh: str = "", en: str = "") -> None:
        if self.panel is not None:
            self.panel.timer.stop()
        self.login.say(zh, en)
        self.setCurrentWidget(self.login)
        self.login.staff.setFocus()

    def _pressed(self, key: str, _arg: int, accepted: bool) -> None:
        if key == "LOGOUT" and accepted:
            self.login_model.logout()
            self.show_login("已退出，请登录", "Logged out")
        elif not accepted and self._session_gone():
            self.hall.session = None
            self.show_login("登录已失效，请重新登录", "The login has ended: please log in again")

    def _session_gone(self) -> bool:
        try:
            self.hall.window_state(self.window)
        except NotAuthorized:
            return True
        except HallError:
            return False
        return False

    def close_session(self) -> None:
        """On quitting: the session ends (the window stays as it is for the next login)."""
        if self.hall.session is not None:
            try:
                self.hall.staff_logout()
            except HallError as e:
                log.warning("session not ended on the server: %s", e)
