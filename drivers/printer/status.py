"""Printer status: the DLE EOT real-time status bytes, parsed into one plain answer.

``DLE EOT n`` (10 04 n) asks an ESC/POS printer for one status byte, answered even
while it is offline or printing:

=====  ===========================  ===========================================
n      meaning                      bits used here
=====  ===========================  ===========================================
1      printer status               3 offline
2      off-line cause               2 cover open, 3 paper fed by FEED button,
                                    5 stopped at paper end, 6 error
3      error cause                  3 auto-cutter error, 5 unrecoverable error,
                                    6 auto-recoverable error (head too hot)
4      roll paper sensor            2-3 near end, 5-6 paper end
=====  ===========================  ===========================================

Every answer has bit 1 and bit 4 set and bits 0 and 7 clear (``byte & 0x93 == 0x12``);
anything else is a garbled answer. These functions are pure; the printer driver
sends the queries and feeds the answers in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DLE_EOT = b"\x10\x04"
FIXED_MASK, FIXED_VALUE = 0x93, 0x12

# Status levels, from the kiosk's point of view.
LEVELS = ("ok", "near_end", "paper_out", "cover_open", "offline")

MESSAGES: dict[str, tuple[str, str]] = {
    "ok": ("打印机正常", "Printer ready"),
    "near_end": ("打印纸即将用完，请及时更换", "Paper is running low; replace the roll soon"),
    "paper_out": ("打印纸已用完，请更换纸卷", "Out of paper; load a new roll"),
    "cover_open": ("打印机盖未合上", "The printer cover is open; close it"),
    "offline": ("打印机未连接或无响应", "The printer does not answer (power, cable or address)"),
    # Finer causes, all reported at level "offline":
    "cutter": ("切刀故障（可能卡纸），请打开机盖检查", "Auto-cutter error (paper jam?); open the cover and check"),
    "overheat": ("打印头过热，请稍候", "Print head too hot; printing resumes when it cools down"),
    "fatal": ("打印机硬件故障，请联系维修", "Unrecoverable printer error; call service"),
    "feeding": ("正在走纸（进纸键被按下）", "Paper is being fed with the FEED button"),
    "garbled": ("打印机状态应答异常", "The printer's status answer is garbled (wrong baud rate or not ESC/POS?)"),
    "unchecked": ("打印机状态无法读取（单向连接），默认可用",
                  "This connection cannot read the printer's status; assumed ready"),
}


def status_query(n: int) -> bytes:
    """The bytes of ``DLE EOT n`` (n = 1…4)."""
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT {n}: n must be 1-4")
    return DLE_EOT + bytes([n])


def valid_answer(byte: int) -> bool:
    """True when ``byte`` has the fixed bits every DLE EOT answer carries."""
    return 0 <= byte <= 0xFF and byte & FIXED_MASK == FIXED_VALUE


def parse_printer(byte: int) -> dict[str, bool]:
    """DLE EOT 1."""
    return {"offline": bool(byte & 0x08), "drawer_high": bool(byte & 0x04),
            "waiting_recovery": bool(byte & 0x20)}


def parse_offline(byte: int) -> dict[str, bool]:
    """DLE EOT 2."""
    return {"cover_open": bool(byte & 0x04), "feeding": bool(byte & 0x08),
            "paper_end_stop": bool(byte & 0x20), "error": bool(byte & 0x40)}


def parse_error(byte: int) -> dict[str, bool]:
    """DLE EOT 3."""
    return {"cutter": bool(byte & 0x08), "fatal": bool(byte & 0x20), "overheat": bool(byte & 0x40)}


def parse_paper(byte: int) -> dict[str, bool]:
    """DLE EOT 4."""
    return {"near_end": bool(byte & 0x0C), "paper_out": bool(byte & 0x60)}


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's state in one word (``level``) and in plain sentences.

    ``ok`` is True when a ticket may be printed (``ok`` or ``near_end``). ``checked``
    is False when the transport cannot read status (a plain file): assumed ready.
    ``cause`` names a finer reason (cutter, overheat, fatal, feeding, garbled, no_answer).
    """

    ok: bool
    level: str
    message_zh: str
    message_en: str
    checked: bool = True
    cause: str = ""
    raw: dict[int, int] = field(default_factory=dict)
    detail: str = ""  # for technicians, e.g. the connection error

    @classmethod
    def of(cls, level: str, cause: str = "", raw: dict[int, int] | None = None,
           checked: bool = True, detail: str = "") -> "PrinterStatus":
        if level not in LEVELS:
            raise ValueError(f"unknown printer status level {level!r}")
        zh, en = MESSAGES.get(cause) or MESSAGES[level]
        return cls(level in ("ok", "near_end"), level, zh, en, checked, cause, dict(raw or {}), detail)

    @classmethod
    def unchecked(cls) -> "PrinterStatus":
        return cls.of("ok", "unchecked", checked=False)

    def raw_text(self) -> str:
        """e.g. ``"1=0x12 4=0x1e"``: the answers as a technician reads them in a manual."""
        return " ".join(f"{n}=0x{b:02x}" for n, b in sorted(self.raw.items()))

    def to_json(self) -> dict:
        return {"ok": self.ok, "level": self.level, "message_zh": self.message_zh,
                "message_en": self.message_en, "checked": self.checked, "cause": self.cause,
                "detail": self.detail,
                "raw": {str(n): f"0x{b:02x}" for n, b in sorted(self.raw.items())}}


def interpret(answers: dict[int, int | None]) -> PrinterStatus:
    """Turn the answers to DLE EOT 1/2/3/4 (None: no answer; missing: not asked) into a status.

    No answer to DLE EOT 1 means offline (unplugged, off, wrong port). A printer that is
    offline is explained by DLE EOT 2 (cover, paper end) and 3 (cutter, heat, fatal).
    Paper out by DLE EOT 4 refuses even when the printer still says online.
    """
    raw = {n: b for n, b in answers.items() if b is not None}
    first = answers.get(1)
    if first is None:
        return PrinterStatus.of("offline", "no_answer", raw)
    if any(not valid_answer(b) for b in raw.values()):
        return PrinterStatus.of("offline", "garbled", raw)
    paper = parse_paper(raw[4]) if 4 in raw else {"near_end": False, "paper_out": False}
    if parse_printer(first)["offline"]:
        cause = parse_offline(raw[2]) if 2 in raw else {}
        if cause.get("cover_open"):
            return PrinterStatus.of("cover_open", raw=raw)
        if cause.get("paper_end_stop") or paper["paper_out"]:
            return PrinterStatus.of("paper_out", raw=raw)
        if cause.get("error") and 3 in raw:
            err = parse_error(raw[3])
            for name in ("fatal", "cutter", "overheat"):
                if err[name]:
                    return PrinterStatus.of("offline", name, raw)
        if cause.get("feeding"):
            return PrinterStatus.of("offline", "feeding", raw)
        return PrinterStatus.of("offline", raw=raw)
    if paper["paper_out"]:
        return PrinterStatus.of("paper_out", raw=raw)
    if paper["near_end"]:
        return PrinterStatus.of("near_end", raw=raw)
    return PrinterStatus.of("ok", raw=raw)


def answers_for(level: str, cause: str = "") -> dict[int, int | None]:
    """The bytes a printer in ``level`` answers to DLE EOT 1-4 (the simulator's table).

    ``cause`` (cutter, overheat, fatal) picks an error under level "offline" that
    still answers; level "offline" without a cause does not answer at all.
    """
    base = FIXED_VALUE
    if level == "ok":
        return {1: base, 2: base, 3: base, 4: base}
    if level == "near_end":
        return {1: base, 2: base, 3: base, 4: base | 0x0C}
    if level == "paper_out":
        return {1: base | 0x08, 2: base | 0x20, 3: base, 4: base | 0x6C}
    if level == "cover_open":
        return {1: base | 0x08, 2: base | 0x04, 3: base, 4: base}
    if level == "offline" and cause:
        bit = {"cutter": 0x08, "fatal": 0x20, "overheat": 0x40}[cause]
        return {1: base | 0x08, 2: base | 0x40, 3: base | bit, 4: base}
    if level == "offline":
        return {1: None, 2: None, 3: None, 4: None}
    raise ValueError(f"unknown printer status level {level!r}")
