"""Typed schema of a hall configuration file.

One TOML file describes a hall: its services, its windows and every device.
Unknown keys are errors (``extra="forbid"``) so a typo never silently disables a
device. Cross-references (a window naming a service, a device naming a bus) are
checked in :meth:`HallConfig._check_references`. The models' methods (ticket prefix,
opening periods, lookups) are in :mod:`config.views`, shared with the pydantic-free copies.
"""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .booking_schema import WEEKDAYS, Booking, BookingSlots, Calendar, Weekday  # noqa: F401 - re-exported
from .network_schema import City, Client, Notify, Server  # noqa: F401 - re-exported
from .ratings_schema import Ratings
from .invalid import Invalid
from .schema_base import ReferenceError_, Strict, _at  # noqa: F401 - re-exported
from .templates import check_template
from .urls import OptionalSerialUrl, SerialUrl, http_address, http_headers, printer_url
from .views import HallMethods, ServiceMethods, parse_range


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
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is tzdata's folder
                raise Invalid(f"unknown time zone {v!r} (use a name like Asia/Shanghai)",
                              f"没有时区 {v!r}（请写时区名称，如 Asia/Shanghai）") from None
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


class ServiceLimits(Strict):
    """Per-service limits (``limits = { max_waiting = 10 }`` on a service): each one given
    replaces the hall's ``[limits]`` value for that service; none given: the hall's."""

    max_waiting: int | None = Field(None, ge=1, le=100_000)  # tickets waiting at once
    max_wait_minutes: float | None = Field(None, gt=0, le=1440)  # the longest wait of a waiting ticket
    max_handling_minutes: float | None = Field(None, gt=0, le=1440)  # one ticket at a window
    cap_warn_percent: int | None = Field(None, ge=1, le=100)  # of daily_cap issued: "nearly reached"


class Limits(ServiceLimits):
    """``[limits]``: when the alarm engine of `jiaohao serve` raises an alarm (docs/manage.md).

    A limit left out is not watched. A manager may change them in the
    browser (/manage/limits); those changes are kept in the database and shown beside
    the value of this file, which stays the starting point."""

    max_pause_minutes: float | None = Field(None, gt=0, le=1440)  # a window paused longer
    idle_minutes: float | None = Field(None, gt=0, le=1440)  # a window idle while its tickets wait
    device_offline_minutes: float | None = Field(3.0, gt=0, le=1440)  # a device silent or in fault
    bad_rating: bool = True  # an alarm for each 不满意 / 非常不满意
    cap_warn_percent: int | None = Field(90, ge=1, le=100)
    evaluate_seconds: float = Field(5.0, ge=0.2, le=60)  # how often the limits are checked
    webhook: str = ""  # POST each alarm as JSON here (through the outbox); empty: none
    webhook_headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("webhook")
    @classmethod
    def _webhook_url(cls, v: str) -> str:
        return http_address(v, "webhook") if v else v

    @field_validator("webhook_headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        return http_headers(v)


class Service(ServiceMethods, Strict):
    code: str = Field(min_length=1, max_length=8)
    name: str = Field(min_length=1)
    name_en: str = ""
    prefix: str = ""  # defaults to code
    zone: str = ""
    zone_en: str = ""
    hours: list[str] = Field(default_factory=list)  # empty: all day
    daily_cap: int | None = Field(None, ge=1)
    expected_minutes: float = Field(8.0, gt=0, le=480)
    limits: ServiceLimits = ServiceLimits()
    item_code: str = Field("", max_length=64)  # 事项编码 (好差评 export) when the guide has none

    @field_validator("hours")
    @classmethod
    def _hours_parse(cls, v: list[str]) -> list[str]:
        spans = sorted(parse_range(s) for s in v)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            if start < end:
                raise Invalid("opening periods overlap", "营业时段有重叠")
        return v

    @model_validator(mode="after")
    def _prefix_shape(self) -> "Service":
        if not re.fullmatch(r"[A-Z][A-Z0-9]{0,2}", self.ticket_prefix):
            raise _at(("prefix",) if self.prefix else ("code",),
                      "a ticket prefix is a capital letter and up to 2 more letters or digits, e.g. A or ZB",
                      "号头须为一个大写字母，后面最多再跟 2 个字母或数字，如 A 或 ZB")
        return self


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
    url: SerialUrl
    baud: int = Field(9600, ge=1200, le=921600)
    timeout_ms: int = Field(100, ge=5, le=5000)
    offline_retry_s: float = Field(5.0, gt=0, le=300)
    protocol: Literal["modbus"] = "modbus"
    # character format: 8E1 is the Modbus serial-line default (and our reference keypads');
    # "N" with stopbits = 1 (8N1) or 2 (8N2) for devices set that way
    parity: Literal["E", "O", "N"] = "E"
    stopbits: Literal[1, 2] = 1

    @field_validator("parity", mode="before")
    @classmethod
    def _parity_word(cls, v):
        """``"even"``, ``"none"``, ``"odd"`` (any case) are E, N, O."""
        words = {"EVEN": "E", "ODD": "O", "NONE": "N"}
        return words.get(v.strip().upper(), v.strip().upper()) if isinstance(v, str) else v


class Printer(Strict):
    url: str = "sim://"
    paper_mm: Literal[58, 80] = 80
    mode: Literal["text", "raster"] = "text"
    encoding: Literal["gbk", "gb18030", "big5"] = "gbk"
    # the QR code: a template ({status_url}: the ticket's status page on the phone; {token},
    # {ticket_id}, {number}, {day}) or "" for none
    qr: str = "{status_url}"
    timeout_s: float = Field(5.0, gt=0, le=60)
    font: str = ""  # CJK TTF for raster mode; empty: search the system

    @field_validator("url")
    @classmethod
    def _printer_url(cls, v: str) -> str:
        return printer_url(v)

    @field_validator("qr")
    @classmethod
    def _qr_template(cls, v: str) -> str:
        check_template(v, ("status_url", "token", "ticket_id", "number", "day"), "the QR template",  # str.format'ed
                       what_zh="二维码模板")
        return v


# The prompt-tone names each serial module plays (its datasheet's table; drivers/tts/prompt_tones.py
# holds the table itself and a test keeps the two equal).
_PROMPT_TONES = {
    "syn6288": r"sound[a-y]|msg[a-h]|ring[a-o]",
    "syn6658": r"msg[a-n]|sound[a-rt-y]|sound(1(0[1-9]|1\d|2[0-4])|2(0[1-9]|1\d)|3(0[1-9]|1\d)|40[1-8]|50[1-7]|60[12])",
    "xfs5152": r"sound(1(0[1-9]|1\d|2[0-5])|2(0[1-9]|1\d|2[0-5])|3(0[1-9]|[12]\d|30))",
}
_PROMPT_TONE_EXAMPLES = {"syn6288": "soundg 门铃声", "syn6658": "sound208 门铃声", "xfs5152": "sound101"}


class Voice(Strict):
    engine: Literal["syn6288", "xfs5152", "syn6658", "espeak", "clips", "none"] = "none"
    url: OptionalSerialUrl = ""
    baud: int = 9600
    template: str = "请{number}号到{window}号窗口办理"
    template_en: str = "Number {number}, please go to window {window}"
    language: Literal["zh", "en", "yue"] = "zh"
    letters: Literal["plain", "chinese"] = "plain"  # A vs 诶/爱 style readings
    repeat: int = Field(2, ge=1, le=5)
    chime: bool = True
    # serial modules: the built-in prompt tone played as the chime; "" the module's doorbell (docs/voice.md)
    chime_sound: str = ""
    volume: int = Field(7, ge=0, le=16)
    speed: int = Field(5, ge=0, le=10)  # 5: each engine's own natural rate (docs/voice.md has the mapping)
    max_age_s: float = Field(120.0, ge=0)  # calls older than this are shown, not spoken
    output: str = ""  # espeak/clips: "" sound card, or a folder for WAV files
    clips_dir: str = ""  # clips engine: folder of recorded WAVs; empty: the shipped set
    reading: Literal["text", "markup"] = "text"  # serial modules: A零二三 text, or [n1]A023 markup
    letter_names: dict[str, str] = Field(default_factory=dict)  # e.g. {A = "甲"}: a hall's own letter names
    espeak_voice: str = ""  # espeak: empty picks by language (cmn-latn-pinyin, yue, en)

    @field_validator("template", "template_en")
    @classmethod
    def _template_fields(cls, v: str) -> str:
        # spoken: a brace outside a field is a typo ({window号), never something to say
        fields = check_template(v, ("number", "window", "service", "window_name"), "a voice template",
                                literal_braces=False, what_zh="播报模板")
        if "number" not in fields:
            raise Invalid("the template must say the ticket number: put {number} in it",
                          "播报模板必须念出票号：请在模板里写上 {number}")
        return v

    @field_validator("letter_names")
    @classmethod
    def _letter_keys(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if not re.fullmatch(r"[A-Za-z]", key):
                raise Invalid(f"{key!r} is not a letter; letter_names maps A..Z to how they are read",
                              f"{key!r} 不是字母；letter_names 写的是字母 A..Z 各怎么念")
        return {k.upper(): name for k, name in v.items()}

    @model_validator(mode="after")
    def _chime_is_a_tone_of_the_module(self) -> "Voice":
        pattern = _PROMPT_TONES.get(self.engine)
        if self.chime_sound and pattern and not re.fullmatch(pattern, self.chime_sound.strip().lower()):
            raise _at(("chime_sound",), f"{self.chime_sound!r} is not a prompt tone of the {self.engine} "
                                        f"(e.g. {_PROMPT_TONE_EXAMPLES[self.engine]}; see docs/voice.md)",
                      f"{self.chime_sound!r} 不是 {self.engine} 模块的提示音"
                      f"（如 {_PROMPT_TONE_EXAMPLES[self.engine]}；见 docs/voice.md）")
        return self

    @model_validator(mode="after")
    def _serial_needs_port(self) -> "Voice":
        if self.engine in ("syn6288", "xfs5152", "syn6658") and not self.url:
            raise _at(("url",), f"the {self.engine} engine needs the port of the module, "
                                "e.g. /dev/ttyUSB1 or sim://voice",
                      f"{self.engine} 语音模块要写它接的串口，如 /dev/ttyUSB1 或 sim://voice")
        return self


class Board(Strict):
    """An LED hall board (条屏/综合屏)."""

    protocol: Literal["onbon-bx", "plain"] = "onbon-bx"
    # Onbon card series: "6K" (BX-6K1/6K2/6K3, -YY, -4G: X and width in pixels) or "5K"
    # (BX-5K1/5K2/5MK1/5MK2: X and width in 8-pixel units). Plain boards ignore it.
    series: Literal["5K", "6K"] = "6K"
    url: SerialUrl
    baud: int = 9600
    address: int = Field(1, ge=1, le=65534)
    width: int = Field(192, ge=16, le=4096)
    height: int = Field(32, ge=8, le=2048)
    lines: int = Field(2, ge=1, le=16)
    name: str = ""

    @model_validator(mode="after")
    def _board_fits(self) -> "Board":
        if self.protocol == "plain" and self.address > 255:
            raise _at(("address",), "plain boards have addresses 1-255", "plain 条屏的地址为 1-255")
        if self.protocol == "onbon-bx" and self.series == "5K" and self.width % 8:
            raise _at(("width",), f"BX-5K cards take the width in 8-pixel units: {self.width} is not "
                                  "a multiple of 8 (a BX-6K card takes any width: series = \"6K\")",
                      f"BX-5K 控制卡的宽度以 8 像素为单位：{self.width} 不是 8 的倍数"
                      "（BX-6K 控制卡任何宽度都行：series = \"6K\"）")
        if self.height // self.lines < 8:
            raise _at(("lines",), f"{self.lines} lines do not fit in {self.height} px (at least 8 px each)",
                      f"{self.height} 像素高放不下 {self.lines} 行（每行至少 8 像素）")
        return self


_PIN_HASH = re.compile(r"^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$")
PIN_COMMAND = {"technician_pin": "jiaohao pin set --role technician",
               "priority_pin": "jiaohao pin set --role green"}


def parse_pin_hash(text: str) -> tuple[int, int, int, str, str]:
    """``scrypt$N$r$p$salt$hash`` (base64 salt and hash) → its parts, or ValueError.

    The bounds keep a hand-edited hash from making the kiosk allocate gigabytes.
    """
    m = _PIN_HASH.match(text)
    if not m:
        raise Invalid("not a PIN hash made by `jiaohao pin set` (scrypt$N$r$p$salt$hash)",
                      "不是 `jiaohao pin set` 生成的密码散列（scrypt$N$r$p$salt$hash）")
    n, r, p = (int(g) for g in m.groups()[:3])
    if n < 2 ** 14 or n > 2 ** 20 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise Invalid(f"scrypt parameters N={n} r={r} p={p} are out of range "
                      "(N a power of 2 from 16384 to 1048576, r 1-32, p 1-16)",
                      f"scrypt 参数 N={n} r={r} p={p} 超出范围（N 为 16384 到 1048576 之间 2 的幂，r 1-32，p 1-16）")
    return n, r, p, m.group(4), m.group(5)


class Kiosk(Strict):
    """The ticket kiosk. PINs are kept as salted scrypt hashes set by `jiaohao pin set`."""

    confirm: bool = False
    # "pin": the green channel (priority tickets, not counted against daily caps) needs a staff PIN
    priority_rule: Literal["open", "pin"] = "pin"
    priority_pin_hash: str = ""  # `jiaohao pin set --role green`
    technician_pin_hash: str = ""  # `jiaohao pin set --role technician`; empty: no technician menu
    pin_attempts: int = Field(3, ge=1, le=10)  # wrong PINs before a lock-out
    pin_lockout_seconds: int = Field(30, ge=5, le=3600)  # the first lock-out; each next one doubles
    technician_menu_seconds: int = Field(120, ge=15, le=3600)  # the menu closes after this long untouched
    idle_seconds: int = Field(30, ge=5, le=600)
    done_seconds: int = Field(6, ge=2, le=60)
    language: Literal["zh_CN", "en"] = "zh_CN"
    # offline issue on a LAN (docs/network.md): numbers each kiosk holds in reserve per
    # ticket prefix while the hall server answers; 0: no offline issue
    lease_size: int = Field(10, ge=0, le=500)
    lease_sizes: dict[str, int] = Field(default_factory=dict)  # per prefix, e.g. {A = 30}
    offline_max_minutes: int = Field(30, ge=1, le=24 * 60)  # then 暂停取号 until the server answers

    @field_validator("lease_sizes")
    @classmethod
    def _lease_sizes(cls, v: dict[str, int]) -> dict[str, int]:
        for prefix, size in v.items():
            if not isinstance(size, int) or not 0 <= size <= 500:
                raise Invalid(f"lease_sizes.{prefix} must be a whole number from 0 to 500, not {size!r}",
                              f"lease_sizes.{prefix} 须为 0 到 500 的整数，不是 {size!r}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _no_plain_pins(cls, data):
        for key, command in PIN_COMMAND.items():
            if isinstance(data, dict) and key in data:
                raise _at((key,), f"PINs are no longer kept in plain text: run `{command}` "
                                  f"(it replaces this line with {key}_hash)",
                          f"密码不再以明文保存：请运行 `{command}`（它会把这一行换成 {key}_hash）")
        return data

    @field_validator("priority_pin_hash", "technician_pin_hash")
    @classmethod
    def _pin_hash_shape(cls, v: str) -> str:
        if v:
            parse_pin_hash(v)
        return v


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


class GuideSettings(Strict):
    """The service guide (办事指南, docs/guide.md): where its files are and where it shows."""

    folder: str = ""  # empty: the folder "<hall file name>/guide" beside the hall file
    screen_rotation: bool = False  # the hall screen's notice band rotates 公示 items (name, time limit, fee)
    rotation_seconds: float = Field(30.0, ge=5, le=600)  # each item this long (the band scrolls it from its start)
    ticket_line: Literal["none", "materials", "reminder"] = "none"  # an extra line on the printed ticket


_DEVICE_ZH = {"keypad": "呼叫器", "evaluator": "评价器", "screen": "窗口屏"}


class HallConfig(HallMethods, Strict):
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
    server: Server | None = None
    client: Client = Client()
    city: City = City()
    calendar: Calendar = Calendar()
    notify: Notify = Notify()
    ratings: Ratings = Ratings()
    booking: Booking = Booking()
    limits: Limits = Limits()
    guide: GuideSettings = GuideSettings()

    @model_validator(mode="after")
    def _check_references(self) -> "HallConfig":
        codes: dict[str, int] = {}
        for i, s in enumerate(self.services):
            if s.code in codes:
                raise _at(("services", i, "code"), f"service code {s.code!r} is used twice",
                          f"业务代码 {s.code!r} 用了两次")
            codes[s.code] = i
        numbers: set[int] = set()
        used: dict[tuple[str, int], tuple[str, str]] = {}  # (bus, address): (English, Chinese)
        for i, w in enumerate(self.windows):
            if w.number in numbers:
                raise _at(("windows", i, "number"), f"window number {w.number} is used twice",
                          f"窗口号 {w.number} 用了两次")
            numbers.add(w.number)
            for j, code in enumerate(w.services):
                if code not in codes:
                    raise _at(("windows", i, "services", j), f"unknown service {code!r}", f"没有业务 {code!r}")
            if len(set(w.services)) != len(w.services):
                raise _at(("windows", i, "services"), "a service is listed twice", "有一项业务写了两次")
            for kind in ("keypad", "evaluator", "screen"):
                ref: DeviceRef | None = getattr(w, kind)
                if ref is None:
                    continue
                if ref.bus not in self.buses:
                    raise _at(("windows", i, kind, "bus"), f"unknown bus {ref.bus!r}", f"没有总线 {ref.bus!r}")
                key = (ref.bus, ref.address)
                if key in used:
                    raise _at(("windows", i, kind, "address"),
                              f"address {ref.address} on bus {ref.bus!r} is already used by {used[key][0]}",
                              f"总线 {ref.bus!r} 上的地址 {ref.address} 已被{used[key][1]}占用")
                used[key] = (f"window {w.number} {kind}", f" {w.number}号窗口的{_DEVICE_ZH[kind]}")
        prefixes = {s.ticket_prefix for s in self.services}
        for prefix in self.kiosk.lease_sizes:
            if prefix not in prefixes:
                raise _at(("kiosk", "lease_sizes", prefix), f"no service issues tickets with prefix {prefix!r}; "
                          f"the prefixes are {', '.join(sorted(prefixes))}",
                          f"没有业务用号头 {prefix!r}；现有号头：{'、'.join(sorted(prefixes))}")
        for i, t in enumerate(self.booking.slots):
            if t.service not in codes:
                raise _at(("booking", "slots", i, "service"), f"unknown service {t.service!r}",
                          f"没有业务 {t.service!r}")
            for j, other in enumerate(self.booking.slots[:i]):
                if other.service == t.service and set(other.days) & set(t.days):
                    spans = sorted(parse_range(p) for p in other.periods + t.periods)
                    if any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
                        raise _at(("booking", "slots", i, "periods"),
                                  f"overlaps booking.slots[{j}] of service {t.service} on the same days",
                                  f"与业务 {t.service} 的 booking.slots[{j}] 在同样的日子里时段重叠")
        return self
