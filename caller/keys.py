"""Keys to queue operations: what CALL, RECALL, SKIP … RATE do, for the bus and the
software caller alike. The outcome carries the short note (≤ 8 Chinese characters) a
keypad shows on its message line."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from drivers.windowbus.codec import PAUSE_ARGS, EventCode
from hall import HallError, Ticket
from hall.errors import (Forbidden, InvalidArgument, NotAuthorized, ServerUnreachable, UnknownTicket, UnknownWindow,
                         WindowNotReady)
from hall.port import Hall

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyOutcome:
    ok: bool
    note: str = ""  # for the keypad's message line; "" lets the state speak
    note_en: str = ""
    ticket: Ticket | None = None
    error: str = ""  # the queue's own sentence when refused


def apply_key(queue: Hall, window: int, key: "EventCode | int | str", arg: int = 0) -> KeyOutcome:
    """Run the queue operation of ``key`` (with its typed ``arg``) at ``window``."""
    try:
        code = EventCode.parse(key)
    except ValueError:
        return KeyOutcome(False, "未知按键", "unknown key", error=f"unknown key {key!r}")
    try:
        return _apply(queue, window, code, int(arg))
    except HallError as e:
        log.info("window %d: %s refused: %s", window, code.name, e)
        note, note_en = _refusal(queue, window, e, code)
        return KeyOutcome(False, note, note_en, error=str(e))


def _apply(q: Hall, w: int, code: EventCode, arg: int) -> KeyOutcome:
    if code is EventCode.CALL:
        t = q.call_next(w)
        return KeyOutcome(True, "", "", t) if t else KeyOutcome(True, "无人等候", "nobody waiting")
    if code is EventCode.RECALL:
        return KeyOutcome(True, "已重呼", "called again", q.recall(w))
    if code is EventCode.SKIP:
        t = q.skip(w)
        return KeyOutcome(True, f"{t.number}过号", f"{t.number} no-show", t)
    if code is EventCode.FINISH:
        t = q.finish(w)
        return KeyOutcome(True, "请评价", "please rate", t)
    if code is EventCode.PAUSE:
        q.pause(w, PAUSE_ARGS.get(arg))
        return KeyOutcome(True)
    if code is EventCode.RESUME:
        q.resume(w)
        return KeyOutcome(True)
    if code is EventCode.TRANSFER:
        if not arg:
            return KeyOutcome(False, "请输入窗口号", "type a window number", error="transfer needs a window number")
        t = q.transfer(w, to_window=arg)
        return KeyOutcome(True, f"已转{arg}号窗", f"sent to window {arg}", t)
    if code is EventCode.CALL_TICKET:
        if not arg:
            return KeyOutcome(False, "请输入号码", "type a number", error="call a ticket needs its number")
        return KeyOutcome(True, "", "", q.call_ticket(w, arg))
    if code is EventCode.LOGIN:
        q.login(w, str(arg) if arg else f"window{w}")
        return KeyOutcome(True, "已登录", "logged in")
    if code is EventCode.LOGOUT:
        q.logout(w)
        return KeyOutcome(True, "已退出", "logged out")
    if code is EventCode.RATE:
        if not 1 <= arg <= 5:
            return KeyOutcome(False, "评分无效", "bad score", error=f"score {arg} is not 1-5")
        return KeyOutcome(True, "谢谢评价", "thank you", q.rate(w, arg))
    return KeyOutcome(False, "未知按键", "unknown key", error=f"unknown key {code}")  # pragma: no cover


def _refusal(q: Hall, w: int, e: HallError, code: EventCode) -> tuple[str, str]:
    if isinstance(e, ServerUnreachable):
        return "连不上服务器", "server down"
    if isinstance(e, NotAuthorized):
        return "请重新登录", "log in again"
    if isinstance(e, Forbidden):
        return "无权操作", "not allowed"
    if isinstance(e, WindowNotReady):
        try:
            state = q.window_state(w).state
        except HallError:
            state = ""
        if code is EventCode.RATE:
            return "无可评价", "nothing to rate"
        if state == "closed":
            return "请先登录", "log in first"
        if state == "paused" and code is not EventCode.RESUME:
            return "请先恢复", "resume first"
        if code is EventCode.RESUME:
            return "未暂停", "not paused"
        return "无当前号", "no current ticket"
    if isinstance(e, UnknownTicket):
        return "无此号码", "no such ticket"
    if isinstance(e, UnknownWindow):
        return "无此窗口", "no such window"
    if isinstance(e, InvalidArgument):
        return ("已评价", "already rated") if code is EventCode.RATE else ("操作无效", "not possible")
    return "操作失败", "refused"
