"""Typed schema of a hall configuration file.

One TOML file describes a hall: its services, its windows and every device.
Unknown keys are errors (``extra="forbid"``) so a typo never silently disables a
device. Cross-references (a window naming a service, a device naming a bus) are
checked in :meth:`HallConfig._check_references`.
"""
from __future__ import annotations

import re
from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class Strict(BaseModel):
    """Base of every section: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_range(text: str) -> tuple[time, time]:
    """Parse ``"08:30-12:00"`` into two times, or raise ValueError."""
    m = _RANGE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a time range like 08:30-12:00")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"{text!r} has an impossible time")
    start = time(h1, m1)
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


class HallInfo(Strict):
    name: str
    name_en: str = ""
    notice: str = "请留意叫号，过号需重新取号"
    notice_en: str = "Please listen for your number; a missed number needs a new ticket."
    timezone: str = ""  # e.g. "Asia/Shanghai"; empty: the host's local time

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, v: str) -> str:
        if v:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {v!r} (use a name like Asia/Shanghai)") from None
        return v


class QueueRules(Strict):
    """How the next ticket is picked and how no-shows come back."""

    strategy: Literal["strict", "oldest"] = "strict"
    # A skipped (过号) ticket may be re-activated this many times ...
    max_reactivations: int = Field(1, ge=0, le=10)
    # ... and goes back behind this many waiting tickets of its service.
    requeue_after: int = Field(3, ge=0, le=1000)
    # Appointments may check in this many minutes before their slot.
    appointment_early_minutes: int = Field(30, ge=0, le=240)


class Service(Strict):
    code: str = Field(min_length=1, max_length=8)
    name: str = Field(min_length=1)
    name_en: str = ""
    prefix: str = ""  # defaults to code
    zone: str = ""
    zone_en: str = ""
    hours: list[str] = Field(default_factory=list)  # empty: all day
    daily_cap: int | None = Field(None, ge=1)
    expected_minutes: float = Field(8.0, gt=0, le=480)

    @field_validator("hours")
    @classmethod
    def _hours_parse(cls, v: list[str]) -> list[str]:
        spans = sorted(parse_range(s) for s in v)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            if start < end:
                raise ValueError("opening periods overlap")
        return v

    @model_validator(mode="after")
    def _prefix_shape(self) -> "Service":
        if not re.fullmatch(r"[A-Z][A-Z0-9]{0,2}", self.ticket_prefix):
            raise _at(("prefix",) if self.prefix else ("code",),
                      "a ticket prefix is a capital letter and up to 2 more letters or digits, e.g. A or ZB")
        return self

    @property
    def ticket_prefix(self) -> str:
        return self.prefix or self.code

    def periods(self) -> list[tuple[time, time]]:
        return [parse_range(s) for s in self.hours]


class DeviceRef(Strict):
    """A device on a window bus: the bus name and the Modbus unit address."""

    bus: str
    address: int = Field(ge=1, le=247)


class Window(Strict):
    number: int = Field(ge=1, le=9999)
    name: str = ""  # e.g. "综合受理5号"; defaults to "<number>号窗口"
    department: str = ""
    services: list[str] = Field(min_length=1)
    keypad: DeviceRef | None = None
    evaluator: DeviceRef | None = None
    screen: DeviceRef | None = None


class Bus(Strict):
    url: str
    baud: int = Field(9600, ge=1200, le=921600)
    timeout_ms: int = Field(100, ge=5, le=5000)
    offline_retry_s: float = Field(5.0, gt=0, le=300)
    protocol: Literal["modbus"] = "modbus"


class Printer(Strict):
    url: str = "sim://"
    paper_mm: Literal[58, 80] = 80
    mode: Literal["text", "raster"] = "text"
    encoding: Literal["gbk", "gb18030", "big5"] = "gbk"
    qr: str = "{ticket_id}"  # a URL template ({ticket_id}, {number}, {day}) or "" for none
    timeout_s: float = Field(5.0, gt=0, le=60)
    font: str = ""  # CJK TTF for raster mode; empty: search the system

    @field_validator("url")
    @classmethod
    def _printer_url(cls, v: str) -> str:
        v = v.strip()
        if re.match(r"^(/|[A-Za-z]:[\\/]|COM\d+$)", v):
            return v
        scheme = v.split("://", 1)[0].lower() if "://" in v else ""
        if scheme not in ("usb", "tcp", "socket", "serial", "file", "sim"):
            raise ValueError("a printer is usb://VID:PID, tcp://HOST:PORT, serial:///dev/ttyS0?baud=19200, "
                             "file:///dev/usb/lp0 or sim://NAME")
        if scheme == "usb" and not re.fullmatch(r"usb://(0x)?[0-9A-Fa-f]{1,4}:(0x)?[0-9A-Fa-f]{1,4}(\?.*)?", v):
            raise ValueError("a USB printer is usb://VID:PID in hex, e.g. usb://0x0416:0x5011 (see lsusb)")
        return v

    @field_validator("qr")
    @classmethod
    def _qr_template(cls, v: str) -> str:
        try:
            v.format(ticket_id=1, number="A001", day="2026-01-01")
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(f"the QR template may use only {{ticket_id}}, {{number}} and {{day}} ({e})") from None
        return v


class Voice(Strict):
    engine: Literal["syn6288", "xfs5152", "syn6658", "espeak", "clips", "none"] = "none"
    url: str = ""
    baud: int = 9600
    template: str = "请{number}号到{window}号窗口办理"
    template_en: str = "Number {number}, please go to window {window}"
    language: Literal["zh", "en", "yue"] = "zh"
    letters: Literal["plain", "chinese"] = "plain"  # A vs 诶/爱 style readings
    repeat: int = Field(2, ge=1, le=5)
    chime: bool = True
    volume: int = Field(7, ge=0, le=16)
    speed: int = Field(5, ge=0, le=10)
    max_age_s: float = Field(120.0, ge=0)  # calls older than this are shown, not spoken
    output: str = ""  # espeak/clips: "" sound card, or a folder for WAV files
    clips_dir: str = ""  # clips engine: folder of recorded WAVs; empty: the shipped set
    reading: Literal["text", "markup"] = "text"  # serial modules: A零二三 text, or [n1]A023 markup
    letter_names: dict[str, str] = Field(default_factory=dict)  # e.g. {A = "甲"}: a hall's own letter names
    espeak_voice: str = ""  # espeak: empty picks by language (cmn-latn-pinyin, yue, en)

    @field_validator("template", "template_en")
    @classmethod
    def _template_fields(cls, v: str) -> str:
        known = ("number", "window", "service", "window_name")
        for name in re.findall(r"\{(\w*)\}", v):
            if name not in known:
                raise ValueError(f"unknown field {{{name}}}; a template may use "
                                 + ", ".join("{" + k + "}" for k in known))
        if "{number}" not in v:
            raise ValueError("the template must say the ticket number: put {number} in it")
        return v

    @field_validator("letter_names")
    @classmethod
    def _letter_keys(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if not re.fullmatch(r"[A-Za-z]", key):
                raise ValueError(f"{key!r} is not a letter; letter_names maps A..Z to how they are read")
        return {k.upper(): name for k, name in v.items()}

    @model_validator(mode="after")
    def _serial_needs_port(self) -> "Voice":
        if self.engine in ("syn6288", "xfs5152", "syn6658") and not self.url:
            raise _at(("url",), f"the {self.engine} engine needs the port of the module, "
                                "e.g. /dev/ttyUSB1 or sim://voice")
        return self


class Board(Strict):
    """An LED hall board (条屏/综合屏)."""

    protocol: Literal["onbon-bx", "plain"] = "onbon-bx"
    url: str
    baud: int = 9600
    address: int = Field(1, ge=1, le=65534)
    width: int = Field(192, ge=16, le=4096)
    height: int = Field(32, ge=8, le=2048)
    lines: int = Field(2, ge=1, le=16)
    name: str = ""

    @model_validator(mode="after")
    def _board_fits(self) -> "Board":
        if self.protocol == "plain" and self.address > 255:
            raise _at(("address",), "plain boards have addresses 1-255")
        if self.height // self.lines < 8:
            raise _at(("lines",), f"{self.lines} lines do not fit in {self.height} px (at least 8 px each)")
        return self


class Kiosk(Strict):
    confirm: bool = False
    priority_rule: Literal["open", "pin"] = "open"
    priority_pin: str = "0000"
    technician_pin: str = "2580"
    idle_seconds: int = Field(30, ge=5, le=600)
    done_seconds: int = Field(6, ge=2, le=60)
    language: Literal["zh_CN", "en"] = "zh_CN"

    @field_validator("priority_pin", "technician_pin")
    @classmethod
    def _pin_digits(cls, v: str) -> str:
        # the kiosk's PIN pad has digits only
        if not re.fullmatch(r"\d{4,8}", v):
            raise ValueError("a PIN is 4 to 8 digits (the kiosk's PIN pad has digits only)")
        return v

    @model_validator(mode="after")
    def _pins_differ(self) -> "Kiosk":
        if self.priority_rule == "pin" and self.priority_pin == self.technician_pin:
            raise _at(("priority_pin",), "the green-channel PIN must differ from the technician PIN "
                                         "(staff would otherwise be able to close the kiosk)")
        return self


class Screen(Strict):
    recent_calls: int = Field(8, ge=1, le=30)
    min_show_seconds: float = Field(6.0, ge=1, le=60)
    busy_show_seconds: float = Field(3.0, ge=1, le=60)  # floor when many calls come at once
    flash_seconds: float = Field(5.0, ge=0, le=60)


class Backup(Strict):
    """Scheduled online backups of the queue database, taken by `jiaohao serve`.

    Every hour while the hall's record changes, and once right after the day is closed.
    24 hourly copies cover the last two or three working days (a damaged database costs
    at most an hour of records); 14 daily ones reach back two weeks for a mistake found
    late. A year-old database is about 1.6 GB, so the defaults need about 60 GB at most.
    """

    folder: str = ""  # empty: "backups" beside the database; best on another disk
    interval_minutes: int = Field(60, ge=0, le=1440)  # 0: no scheduled backups
    keep: int = Field(24, ge=1, le=1000)  # newest copies kept
    keep_daily: int = Field(14, ge=0, le=366)  # plus the last copy of each earlier day
    warn_after_hours: float = Field(26.0, gt=0, le=24 * 31)  # `diag check` warns past this age


class HallConfig(Strict):
    hall: HallInfo
    rules: QueueRules = QueueRules()
    services: list[Service] = Field(min_length=1)
    windows: list[Window] = Field(min_length=1)
    buses: dict[str, Bus] = Field(default_factory=dict)
    printer: Printer = Printer()
    voice: Voice = Voice()
    boards: list[Board] = Field(default_factory=list)
    kiosk: Kiosk = Kiosk()
    screen: Screen = Screen()
    backup: Backup = Backup()

    @model_validator(mode="after")
    def _check_references(self) -> "HallConfig":
        codes: dict[str, int] = {}
        for i, s in enumerate(self.services):
            if s.code in codes:
                raise _at(("services", i, "code"), f"service code {s.code!r} is used twice")
            codes[s.code] = i
        numbers: set[int] = set()
        used: dict[tuple[str, int], str] = {}
        for i, w in enumerate(self.windows):
            if w.number in numbers:
                raise _at(("windows", i, "number"), f"window number {w.number} is used twice")
            numbers.add(w.number)
            for j, code in enumerate(w.services):
                if code not in codes:
                    raise _at(("windows", i, "services", j), f"unknown service {code!r}")
            if len(set(w.services)) != len(w.services):
                raise _at(("windows", i, "services"), "a service is listed twice")
            for kind in ("keypad", "evaluator", "screen"):
                ref: DeviceRef | None = getattr(w, kind)
                if ref is None:
                    continue
                if ref.bus not in self.buses:
                    raise _at(("windows", i, kind, "bus"), f"unknown bus {ref.bus!r}")
                key = (ref.bus, ref.address)
                if key in used:
                    raise _at(("windows", i, kind, "address"),
                              f"address {ref.address} on bus {ref.bus!r} is already used by {used[key]}")
                used[key] = f"window {w.number} {kind}"
        return self

    # -- lookups -----------------------------------------------------------
    def service(self, code: str) -> Service:
        for s in self.services:
            if s.code == code:
                return s
        raise KeyError(code)

    def window(self, number: int) -> Window:
        for w in self.windows:
            if w.number == number:
                return w
        raise KeyError(number)


class ReferenceError_(ValueError):
    """A cross-reference error that knows its field path."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


def _at(loc: tuple, message: str) -> ReferenceError_:
    return ReferenceError_(loc, message)
