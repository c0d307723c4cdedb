"""What the demo's simulated devices show and received, read from the simulators
themselves (no Qt): the last printed ticket, the sentence being spoken, each LED
board's lines as the board decoded them, each window's keypad display and last key,
the evaluators' ratings, and a short log of what each device received, in words
(Chinese and English).

:class:`DeviceWatch` is polled (by the control window's timer, or a test) and turns
the simulators' state into a :class:`DevicesView` plus new :class:`LogLine` entries.
"""
from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

SCORES_ZH = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SCORES_EN = {5: "very satisfied", 4: "satisfied", 3: "acceptable", 2: "dissatisfied", 1: "very dissatisfied"}
STATES_ZH = {"closed": "未登录", "idle": "空闲", "serving": "办理中", "paused": "暂停"}
KEYS_EN = {"CALL": "call", "RECALL": "recall", "SKIP": "no-show", "FINISH": "finish", "PAUSE": "pause",
           "RESUME": "resume", "TRANSFER": "transfer", "CALL_TICKET": "call number", "LOGIN": "log in",
           "LOGOUT": "log out", "RATE": "rate"}
LOG_LINES = 200
TICKET_NUMBER = re.compile(r"^[A-Z]{1,2}\d{2,4}$")


@dataclass(frozen=True)
class LogLine:
    """One thing a device received: when (hall clock), which device, what — in both languages."""

    at: str
    device_zh: str
    device_en: str
    zh: str
    en: str

    def text(self, english: bool = False) -> str:
        return f"{self.at}  {self.device_en}: {self.en}" if english else f"{self.at}  {self.device_zh}：{self.zh}"


@dataclass
class WindowDevices:
    """The simulated devices of one window, as a clerk and a citizen see them."""

    window: int
    ticket: str = ""
    state: str = "closed"
    waiting: int = 0
    message: str = ""
    last_key_zh: str = ""
    last_key_en: str = ""
    rating: int | None = None
    prompt: bool = False
    screen: tuple[str, str] = ("", "")


@dataclass
class DevicesView:
    """Everything the control window shows about the devices at one moment."""

    ticket_png: Path | None = None
    ticket_lines: list[str] = field(default_factory=list)
    tickets: int = 0
    speaking: str = ""
    spoken: int = 0
    sound: str = ""           # "card" (played on the sound card) or the WAV folder
    boards: list[tuple[str, list[str]]] = field(default_factory=list)
    windows: list[WindowDevices] = field(default_factory=list)
    last_rating: tuple[int, int] | None = None  # (window, score)
    new_log: list[LogLine] = field(default_factory=list)  # logged since the previous poll


def ticket_lines(job: bytes, encoding: str = "gbk") -> list[str]:
    """The printed text of an ESC/POS job, line by line (commands, images and QR left out)."""
    from drivers.printer.interpreter import EscPosParser
    lines, cur = [], bytearray()
    for op in EscPosParser().feed(job):
        if op.name == "text":
            cur += op.data
        elif op.name in ("lf", "feed", "cut"):
            text = cur.decode(encoding, errors="replace").strip()
            if text:
                lines.append(text)
            cur = bytearray()
    text = cur.decode(encoding, errors="replace").strip()
    if text:
        lines.append(text)
    return lines


def ticket_summary(lines: list[str]) -> str:
    """The ticket's number and service, as a person reads them off the paper."""
    for i, line in enumerate(lines):
        if TICKET_NUMBER.match(line):
            services = [x for x in lines[max(0, i - 2):i] if not set(x) <= set("-=* ")]
            return " ".join([line, *services[:1]])
    return " ".join(lines[:2])


def key_names(code: int, arg: int) -> tuple[str, str]:
    """A key press in words: (Chinese, English)."""
    from drivers.windowbus.codec import KEY_LABELS_ZH, EventCode
    try:
        key = EventCode(code)
    except ValueError:
        return f"键 {code}", f"key {code}"
    zh, en = KEY_LABELS_ZH.get(key, key.name), KEYS_EN.get(key.name, key.name.lower())
    if key is EventCode.RATE:
        return f"{zh} {SCORES_ZH.get(arg, arg)}", f"{en} {arg}"
    if key in (EventCode.CALL_TICKET, EventCode.TRANSFER, EventCode.LOGIN) and arg:
        return f"{zh} {arg}", f"{en} {arg}"
    return zh, en


class DeviceWatch:
    """Polls the demo hall's simulators; :meth:`poll` returns the current view and logs changes."""

    def __init__(self, hall, clock=None):
        self.hall = hall
        self.clock = clock or hall.now
        self.log: deque[LogLine] = deque(maxlen=LOG_LINES)
        self._jobs = 0
        self._spoken = 0
        self._speaking = None
        self._boards: dict[int, tuple[str, ...]] = {}
        self._seen: dict[tuple, object] = {}
        self._logged = 0

    # -- the simulators ---------------------------------------------------------
    def _announcer(self):
        return next((p for p in self.hall.parts if hasattr(p, "spoken") and hasattr(p, "text_for")), None)

    def _sim(self, ref, getter: str):
        if ref is None:
            return None
        bus = self.hall.devices.bus_sims.get(ref.bus)
        if bus is None:
            return None
        try:
            return getattr(bus, getter)(ref.address)
        except (KeyError, TypeError, ValueError):
            return None

    def _add(self, device_zh: str, device_en: str, zh: str, en: str) -> None:
        try:
            at = self.clock().strftime("%H:%M:%S")
        except Exception:  # noqa: BLE001 - a clock that is not started yet
            at = datetime.now().strftime("%H:%M:%S")
        self.log.append(LogLine(at, device_zh, device_en, zh, en))
        self._logged += 1

    def _changed(self, key: tuple, value) -> bool:
        if self._seen.get(key, None) == value:
            return False
        first = key not in self._seen
        self._seen[key] = value
        return not first or bool(value)

    # -- one poll ---------------------------------------------------------------
    def poll(self) -> DevicesView:
        view = DevicesView()
        before = self._logged
        self._printer(view)
        self._voice(view)
        self._led_boards(view)
        self._windows(view)
        new = self._logged - before
        view.new_log = list(self.log)[-new:] if new else []
        return view

    def _printer(self, view: DevicesView) -> None:
        sim = self.hall.devices.printer_sim
        if sim is None:
            return
        jobs, pngs = list(sim.jobs), list(getattr(sim, "pngs", []))
        view.tickets = len(jobs)
        view.ticket_png = pngs[-1] if pngs else None
        encoding = getattr(sim, "encoding", "gbk")
        if jobs:
            view.ticket_lines = ticket_lines(jobs[-1], encoding)
        for job in jobs[self._jobs:]:
            summary = ticket_summary(ticket_lines(job, encoding))
            self._add("打印机", "printer", f"收到一张票（{len(job):,} 字节）{summary}",
                      f"received a ticket ({len(job):,} bytes) {summary}")
        self._jobs = len(jobs)
        lost = len(getattr(sim, "lost_jobs", []))
        if self._changed(("printer", "lost"), lost):
            self._add("打印机", "printer", f"缺纸等故障，{lost} 张票未打出", f"{lost} tickets lost (paper out or fault)")

    def _voice(self, view: DevicesView) -> None:
        view.sound = "card" if self.hall.options.sound_card else str(self.hall.devices.voice_dir)
        a = self._announcer()
        if a is None:
            return
        spoken = list(a.spoken)
        current = getattr(a, "speaking", None)
        shown = current or (spoken[-1] if spoken else None)
        if shown is not None:
            try:
                view.speaking = a.text_for(shown)
            except Exception as e:  # noqa: BLE001 - the config may lack a window: say the number
                log.debug("voice text: %s", e)
                view.speaking = f"{shown.number} → {shown.window}"
        view.spoken = len(spoken)
        if current is not None and current is not self._speaking:
            self._add("语音", "voice", f"播报「{view.speaking}」", f"says \"{view.speaking}\"")
        self._speaking = current

    def _led_boards(self, view: DevicesView) -> None:
        for i, (board, sim) in enumerate(zip(self._sim_boards(), self.hall.devices.board_sims), 1):
            lines = [str(x) for x in getattr(sim, "lines", [])]
            name = getattr(board, "name", "") or f"{i}"
            view.boards.append((name, lines))
            shown = tuple(lines)
            if self._boards.get(i) != shown and any(lines):
                text = " / ".join(x for x in lines if x)
                self._add(f"LED屏 {name}", f"LED board {name}", f"显示「{text}」", f"shows \"{text}\"")
            self._boards[i] = shown

    def _sim_boards(self) -> list:
        from drivers.transport import sim_name
        return [b for b in self.hall.config.boards if sim_name(b.url) is not None]

    def _windows(self, view: DevicesView) -> None:
        for w in self.hall.config.windows:
            keypad, evaluator, screen = (self._sim(w.keypad, "keypad"), self._sim(w.evaluator, "evaluator"),
                                         self._sim(w.screen, "screen"))
            if keypad is None and evaluator is None and screen is None:
                continue
            d = WindowDevices(w.number)
            if keypad is not None:
                self._keypad(w.number, keypad, d)
            if evaluator is not None:
                self._evaluator(w.number, evaluator, d, view)
            if screen is not None:
                d.screen = tuple(screen.lines)
                if self._changed((w.number, "screen"), d.screen) and any(d.screen):
                    text = " / ".join(x for x in d.screen if x)
                    self._add(f"{w.number}号窗口屏", f"window {w.number} screen", f"显示「{text}」",
                              f"shows \"{text}\"")
            view.windows.append(d)

    def _keypad(self, number: int, keypad, d: WindowDevices) -> None:
        shown = keypad.display
        d.ticket, d.state, d.waiting, d.message = shown.ticket, shown.state, shown.waiting, shown.message
        if keypad.seq:
            d.last_key_zh, d.last_key_en = key_names(keypad.code, keypad.arg)
        if self._changed((number, "key"), keypad.seq) and keypad.seq:
            self._add(f"{number}号呼叫器", f"keypad {number}", f"按下「{d.last_key_zh}」", f"key {d.last_key_en}")
        if self._changed((number, "display"), (d.ticket, d.state, d.message)) and d.state != "closed":
            state_zh = STATES_ZH.get(d.state, d.state)
            words = " ".join(x for x in (d.ticket, d.message) if x and x != state_zh)
            self._add(f"{number}号呼叫器", f"keypad {number}",
                      f"显示 {state_zh} {words}".rstrip(), f"shows {d.state} {words}".rstrip())

    def _evaluator(self, number: int, ev, d: WindowDevices, view: DevicesView) -> None:
        from drivers.windowbus.codec import EventCode
        d.prompt = bool(ev.display.prompt)
        if ev.seq and ev.code == int(EventCode.RATE):
            d.rating = ev.arg
            if self._changed((number, "rating"), ev.seq):
                view_score = SCORES_ZH.get(ev.arg, str(ev.arg))
                self._add(f"{number}号评价器", f"evaluator {number}", f"收到评价「{view_score}」",
                          f"rated {ev.arg} ({SCORES_EN.get(ev.arg, '')})")
                self._last_rating = (number, ev.arg, ev.seq)
        if self._changed((number, "prompt"), d.prompt) and d.prompt:
            self._add(f"{number}号评价器", f"evaluator {number}", "显示「请评价」", "asks for a rating")
        last = getattr(self, "_last_rating", None)
        if last is not None:
            view.last_rating = last[:2]
