"""The window bus register map (shared/protocols/window-bus.md) as pure functions:
event codes, the keypad/evaluator and window-screen state blocks, GBK text in registers.

Text is GBK, two bytes a register, high byte first, padded with 0x00. Text longer than
its field is cut at a character boundary (never half a GBK character); characters GBK
cannot encode become "?".
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

# input registers (function 04), every device
REG_KIND = 0x0000
REG_VERSION = 0x0001
REG_SEQ = 0x0002  # then 0x0003 event code, 0x0004 argument
PROTOCOL_VERSION = 1

# holding registers (function 16)
KEYPAD_BLOCK = 0x0100
KEYPAD_REGS = 0x14  # 0x0100-0x0113
KEYPAD_TICKET_BYTES = 16
KEYPAD_MESSAGE_BYTES = 16
SCREEN_BLOCK = 0x0200
SCREEN_REGS = 0x23  # 0x0200-0x0222
SCREEN_LINE_BYTES = 32

WAITING_CAP = 9999


class DeviceKind(IntEnum):
    KEYPAD = 1
    EVALUATOR = 2
    KEYPAD_EVALUATOR = 3
    SCREEN = 4

    @property
    def takes_keys(self) -> bool:
        return self in (DeviceKind.KEYPAD, DeviceKind.KEYPAD_EVALUATOR)

    @property
    def rates(self) -> bool:
        return self in (DeviceKind.EVALUATOR, DeviceKind.KEYPAD_EVALUATOR)

    @property
    def label_zh(self) -> str:
        return {1: "呼叫器", 2: "评价器", 3: "呼叫评价一体机", 4: "窗口屏"}[self.value]


class EventCode(IntEnum):
    CALL = 1
    RECALL = 2
    SKIP = 3
    FINISH = 4
    PAUSE = 5
    RESUME = 6
    TRANSFER = 7
    CALL_TICKET = 8
    LOGIN = 9
    LOGOUT = 10
    RATE = 20

    @classmethod
    def parse(cls, value: "int | str | EventCode") -> "EventCode":
        """``EventCode.parse("call")``, ``parse(1)``, ``parse(EventCode.CALL)``."""
        if isinstance(value, str) and not value.isdigit():
            try:
                return cls[value.strip().upper().replace("-", "_")]
            except KeyError:
                raise ValueError(f"unknown key {value!r} (one of {', '.join(c.name for c in cls)})") from None
        return cls(int(value))


KEY_LABELS_ZH = {
    EventCode.CALL: "呼叫", EventCode.RECALL: "重呼", EventCode.SKIP: "过号", EventCode.FINISH: "完成",
    EventCode.PAUSE: "暂停", EventCode.RESUME: "恢复", EventCode.TRANSFER: "转移",
    EventCode.CALL_TICKET: "指定呼叫", EventCode.LOGIN: "登录", EventCode.LOGOUT: "退出",
    EventCode.RATE: "评价",
}

# PAUSE argument -> hall pause reason
PAUSE_ARGS = {0: None, 1: "away", 2: "lunch", 3: "meeting"}
PAUSE_CODES = {v: k for k, v in PAUSE_ARGS.items()}

WINDOW_STATES = {"closed": 0, "idle": 1, "serving": 2, "paused": 3}
WINDOW_STATE_NAMES = {v: k for k, v in WINDOW_STATES.items()}


@dataclass(frozen=True)
class BusEvent:
    """The latch registers 0x0002-0x0004 of a device."""

    seq: int
    code: int
    arg: int


def decode_event(regs: list[int]) -> BusEvent:
    if len(regs) != 3:
        raise ValueError(f"an event is 3 registers, got {len(regs)}")
    return BusEvent(*regs)


def encode_text(text: str, nbytes: int) -> list[int]:
    """``text`` as GBK in ``nbytes // 2`` registers, high byte first, 0x00-padded."""
    out = bytearray()
    for ch in text:
        try:
            b = ch.encode("gbk")
        except UnicodeEncodeError:
            b = b"?"
        if len(out) + len(b) > nbytes:
            break
        out += b
    out += bytes(nbytes - len(out))
    return [(out[i] << 8) | out[i + 1] for i in range(0, nbytes, 2)]


def decode_text(regs: list[int]) -> str:
    """The text in GBK registers, up to the first 0x00; undecodable bytes become U+FFFD."""
    raw = bytearray()
    for r in regs:
        raw += bytes(((r >> 8) & 0xFF, r & 0xFF))
    end = raw.find(0)
    if end >= 0:
        raw = raw[:end]
    return raw.decode("gbk", errors="replace")


def text_fits(text: str, nbytes: int) -> bool:
    try:
        return len(text.encode("gbk")) <= nbytes
    except UnicodeEncodeError:
        return False


@dataclass(frozen=True)
class KeypadState:
    """The holding block 0x0100-0x0113 of a keypad or evaluator."""

    ack_seq: int = 0
    state: str = "closed"  # closed | idle | serving | paused
    waiting: int = 0
    prompt: bool = False
    ticket: str = ""
    message: str = ""

    def registers(self) -> list[int]:
        regs = [self.ack_seq & 0xFFFF, WINDOW_STATES[self.state], max(0, min(self.waiting, WAITING_CAP)),
                1 if self.prompt else 0]
        regs += encode_text(self.ticket, KEYPAD_TICKET_BYTES)
        regs += encode_text(self.message, KEYPAD_MESSAGE_BYTES)
        assert len(regs) == KEYPAD_REGS
        return regs

    @classmethod
    def from_registers(cls, regs: list[int]) -> "KeypadState":
        if len(regs) != KEYPAD_REGS:
            raise ValueError(f"a keypad block is {KEYPAD_REGS} registers, got {len(regs)}")
        return cls(regs[0], WINDOW_STATE_NAMES.get(regs[1], "closed"), regs[2], bool(regs[3]),
                   decode_text(regs[4:12]), decode_text(regs[12:20]))


@dataclass(frozen=True)
class ScreenState:
    """The holding block 0x0200-0x0222 of a window screen."""

    line1: str = ""
    line2: str = ""
    scroll: bool = False
    brightness: int = 16
    flash_s: int = 0

    def registers(self) -> list[int]:
        regs = [1 if self.scroll else 0]
        regs += encode_text(self.line1, SCREEN_LINE_BYTES)
        regs += encode_text(self.line2, SCREEN_LINE_BYTES)
        regs += [max(1, min(self.brightness, 16)), max(0, min(self.flash_s, 0xFFFF))]
        assert len(regs) == SCREEN_REGS
        return regs

    @classmethod
    def from_registers(cls, regs: list[int]) -> "ScreenState":
        if len(regs) != SCREEN_REGS:
            raise ValueError(f"a screen block is {SCREEN_REGS} registers, got {len(regs)}")
        return cls(decode_text(regs[1:17]), decode_text(regs[17:33]), bool(regs[0]), regs[33], regs[34])


def seq_jump(last: int, seq: int) -> int:
    """How many events were latched between ``last`` and ``seq`` (mod 65536)."""
    return (seq - last) & 0xFFFF
