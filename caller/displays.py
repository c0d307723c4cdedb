"""What a window's devices show, computed from the queue's window state. Pure functions.

Keypad: state, waiting count, current ticket, a message line (the last key's note, or
the state in words). Evaluator: the rating prompt after FINISH. Window screen:
请A023号到5号窗口 (flashing on a call), 暂停服务 with the reason, 欢迎光临 when idle;
line 2 the service name.
"""
from __future__ import annotations

from drivers.windowbus.codec import KeypadState, ScreenState
from hall import PAUSE_REASONS, WindowState

CALL_LINE = "请{number}号到{window}号窗口"


def state_message(ws: WindowState) -> str:
    if ws.state == "closed":
        return "请登录"
    if ws.state == "paused":
        return f"暂停 {PAUSE_REASONS[ws.pause_reason]}" if ws.pause_reason in PAUSE_REASONS else "暂停服务"
    if ws.state == "serving":
        return "办理中"
    return "空闲" if ws.waiting else "无人等候"


def keypad_state(ws: WindowState, ack_seq: int, note: str = "", prompt: bool = False) -> KeypadState:
    """The block of a keypad (or keypad-evaluator, which also shows ``prompt``)."""
    return KeypadState(ack_seq=ack_seq, state=ws.state, waiting=ws.waiting, prompt=prompt,
                       ticket=ws.current.number if ws.current else "", message=note or state_message(ws))


def evaluator_state(ws: WindowState, ack_seq: int, prompt_ticket: str = "", note: str = "") -> KeypadState:
    """The block of an evaluator: asks for a rating of ``prompt_ticket`` when given."""
    message = note or ("请评价" if prompt_ticket else ("欢迎光临" if ws.state != "closed" else ""))
    return KeypadState(ack_seq=ack_seq, state=ws.state, waiting=ws.waiting, prompt=bool(prompt_ticket),
                       ticket=prompt_ticket or (ws.current.number if ws.current else ""), message=message)


def services_line(ws: WindowState, service_names: dict[str, str]) -> str:
    return " ".join(service_names.get(code, code) for code in ws.services)


def screen_state(ws: WindowState, service_names: dict[str, str], flash_s: int = 0,
                 brightness: int = 16) -> ScreenState:
    """The block of a window screen (line 1 is 16 Chinese characters at most)."""
    if ws.state == "serving" and ws.current is not None:
        line1 = CALL_LINE.format(number=ws.current.number, window=ws.number)
        line2 = ws.current.service_name or service_names.get(ws.current.service, "")
        return ScreenState(line1, line2, brightness=brightness, flash_s=flash_s)
    if ws.state == "paused":
        reason = PAUSE_REASONS.get(ws.pause_reason or "", "")
        line1 = f"暂停服务 {reason}" if reason else "暂停服务"
    elif ws.state == "closed":
        line1 = "暂停服务"
    else:
        line1 = "欢迎光临"
    return ScreenState(line1, services_line(ws, service_names), brightness=brightness)
