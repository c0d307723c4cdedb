"""What a window's devices show, from the queue's window state (pure functions)."""
from __future__ import annotations

import pytest

from caller.displays import evaluator_state, keypad_state, screen_state
from caller.keys import apply_key

NAMES = {"A": "社会保障", "B": "医疗保障", "C": "不动产登记"}


@pytest.mark.parametrize("setup,line1,line2,keypad_msg", [
    (lambda q: None, "欢迎光临", "不动产登记", "无人等候"),
    (lambda q: q.issue("C"), "欢迎光临", "不动产登记", "空闲"),
    (lambda q: (q.issue("C"), q.call_next(5)), "请C001号到5号窗口", "不动产登记", "办理中"),
    (lambda q: q.pause(5, "lunch"), "暂停服务 午休", "不动产登记", "暂停 午休"),
    (lambda q: q.pause(5, None), "暂停服务", "不动产登记", "暂停服务"),
    (lambda q: q.logout(5), "暂停服务", "不动产登记", "请登录"),
])
def test_screen_and_keypad_follow_the_window(queue, setup, line1, line2, keypad_msg):
    setup(queue)
    ws = queue.window_state(5)
    s = screen_state(ws, NAMES, flash_s=5)
    assert (s.line1, s.line2) == (line1, line2)
    assert s.flash_s == (5 if ws.state == "serving" else 0)
    k = keypad_state(ws, ack_seq=3)
    assert k.message == keypad_msg and k.ack_seq == 3 and k.state == ws.state


def test_window_with_several_services_lists_them_when_idle(queue):
    s = screen_state(queue.window_state(1), NAMES)
    assert s.line2 == "社会保障 医疗保障"


def test_keypad_shows_note_ticket_and_waiting(queue):
    for _ in range(3):
        queue.issue("C")
    queue.call_next(5)
    k = keypad_state(queue.window_state(5), 9, note="已重呼")
    assert (k.ticket, k.waiting, k.message) == ("C001", 2, "已重呼")


def test_evaluator_prompt(queue):
    queue.issue("C")
    queue.call_next(5)
    t = queue.finish(5)
    ws = queue.window_state(5)
    e = evaluator_state(ws, 1, prompt_ticket=t.number)
    assert e.prompt and e.ticket == "C001" and e.message == "请评价"
    off = evaluator_state(ws, 1)
    assert not off.prompt and off.message == "欢迎光临"


@pytest.mark.parametrize("key,arg,ok,note", [
    ("CALL", 0, True, "无人等候"),
    ("RECALL", 0, False, "无当前号"),
    ("FINISH", 0, False, "无当前号"),
    ("TRANSFER", 0, False, "请输入窗口号"),
    ("CALL_TICKET", 0, False, "请输入号码"),
    ("CALL_TICKET", 5, False, "无此号码"),
    ("RATE", 9, False, "评分无效"),
    ("RATE", 5, False, "无可评价"),
    ("RESUME", 0, False, "未暂停"),
    ("LOGIN", 42, True, "已登录"),
    (99, 0, False, "未知按键"),
])
def test_keys_and_their_notes(queue, key, arg, ok, note):
    out = apply_key(queue, 5, key, arg)
    assert (out.ok, out.note) == (ok, note)
