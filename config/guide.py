"""The service guide (办事指南): one TOML file per item, kept beside the hall file.

A hall's guide is a folder of files, ``<code>.toml`` each, by default
``<hall file's folder>/<hall file name>/guide/`` (``[guide] folder`` moves it). One file
per item because items change one at a time (a department revises its materials list),
an edit or an import touches only the files of the items that changed, and an item's file
can be copied to another hall as it is: the only hall-specific field is ``service``, the
hall service that takes the item's tickets.

:func:`load_guide` reads a folder and raises :class:`GuideError` listing every problem
(file, line, field); :func:`check_guide` adds the problems against a hall (unknown
service, duplicate codes). :class:`Guide` is what the kiosk, the phone pages and the API
use: entries by code, by zone and department, and the pinyin search.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .file_place import place
from .invalid import Invalid

CODE_RE = r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"
FORMS = ("原件", "复印件", "原件及复印件", "电子版")
MAX_FILE_BYTES = 1_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Material(_Strict):
    """One document to bring (申请材料)."""

    name: str = Field(min_length=1, max_length=200)
    name_en: str = ""
    form: Literal["原件", "复印件", "原件及复印件", "电子版"] = "原件"
    copies: int = Field(1, ge=0, le=99)
    note: str = ""
    electronic: bool = False  # can be shared electronically (电子证照): need not be brought


class Faq(_Strict):
    q: str = Field(min_length=1)
    a: str = Field(min_length=1)


class GuideEntry(_Strict):
    """The guide of one service item."""

    code: str = Field(pattern=f"^{CODE_RE}$")  # the hall's code of the item (file name, /guide/<code>)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = ""
    item_code: str = ""  # national 事项编码 (implementation code), as published by the province
    service: str = Field(min_length=1, max_length=8)  # the hall service whose tickets this item takes
    department: str = ""
    zone: str = ""  # empty: the service's zone
    windows: list[int] = Field(default_factory=list)  # empty: the service's windows
    legal_basis: str = ""  # 设定依据
    conditions: str = ""  # 申请条件
    materials: list[Material] = Field(default_factory=list)  # 申请材料
    steps: list[str] = Field(default_factory=list)  # 办理流程
    statutory_days: int | None = Field(None, ge=0, le=3650)  # 法定时限, working days
    promised_days: int | None = Field(None, ge=0, le=3650)  # 承诺时限, working days (0: 即办)
    fee: str = "不收费"  # 收费标准
    notes: str = ""  # 注意事项
    reminder: str = ""  # one short line for the printed ticket
    phone_consult: str = ""  # 咨询电话
    phone_supervise: str = ""  # 监督电话
    bookable: bool = False  # can be booked (预约)
    keywords: list[str] = Field(default_factory=list)  # other names citizens search by
    faqs: list[Faq] = Field(default_factory=list)
    sample: bool = False  # shipped sample text, not a hall's real guide

    @field_validator("phone_consult", "phone_supervise")
    @classmethod
    def _phone(cls, v: str) -> str:
        if v and not re.fullmatch(r"[0-9+()\- 转]{3,30}", v):
            raise Invalid(f"{v!r} is not a telephone number (digits, - and spaces, e.g. 0551-12345678)",
                          f"{v!r} 不是电话号码（数字、- 和空格，如 0551-12345678）")
        return v

    @property
    def time_limit_zh(self) -> str:
        if self.promised_days is None:
            return ""
        return "即办" if self.promised_days == 0 else f"{self.promised_days}个工作日"

    @property
    def time_limit_en(self) -> str:
        if self.promised_days is None:
            return ""
        return "on the spot" if self.promised_days == 0 else f"{self.promised_days} working days"

    @property
    def to_bring(self) -> list[Material]:
        """The materials the citizen brings on paper (not those shared electronically)."""
        return [m for m in self.materials if not m.electronic]


class GuideError(ValueError):
    """Problems in guide files: ``problems`` are lines ``FILE:LINE: field: reason``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def guide_folder(config_path: Path | str, setting: str = "") -> Path:
    """The guide folder of the hall file at ``config_path`` (``setting``: ``[guide] folder``,
    relative to the hall file's folder)."""
    config_path = Path(config_path)
    if setting:
        p = Path(setting)
        return p if p.is_absolute() else config_path.parent / p
    return config_path.parent / config_path.stem / "guide"


def _where(path: Path, text: str, loc: tuple) -> str:
    from .loader import find_line, format_loc
    line = find_line(text, loc) if loc else None
    field = format_loc(loc)
    return f"{path}{f':{line}' if line else ''}: {field + ': ' if field else ''}"


def parse_entry(text: str, path: Path | str) -> tuple[GuideEntry | None, list[str]]:
    """One guide file's text → its entry, or None and its problems (every one)."""
    from .loader import _plain
    path = Path(path)
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        return None, [f"{path}{':' + m.group(1) if m else ''}: TOML 写法不对 (bad TOML: {msg})"]
    except RecursionError:  # [[[[… thousands deep: the parser's recursion, a traceback before
        from .loader import MAX_NESTING, _deepest
        line, field = _deepest(text.removeprefix("\ufeff"))
        return None, [f"{path}{f':{line}' if line else ''}: {field + ': ' if field else ''}列表或表嵌套超过 "
                      f"{MAX_NESTING} 层；办事指南文件最多只要两层 (lists or tables nested more than {MAX_NESTING} "
                      "deep; a guide file needs two levels at most)"]
    try:
        entry = GuideEntry.model_validate(data, strict=True)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(err["loc"])
            en, zh = _plain(err["type"], err["msg"], loc, err.get("input"), err.get("ctx") or {})
            problems.append(_where(path, text, loc) + (f"{zh} ({en})" if zh else en))
        return None, problems
    if entry.code != path.stem:
        return entry, [_where(path, text, ("code",)) + f"编码 {entry.code!r} 与文件名（{path.stem}.toml）不同：请改文件名或"
                                                      f"编码 (the code {entry.code!r} is not the file's name "
                                                      f"({path.stem}.toml): rename the file or the code)"]
    return entry, []


def read_folder(folder: Path | str) -> tuple[list[GuideEntry], list[str]]:
    """Every ``*.toml`` in ``folder`` (sorted by name) → entries and problems."""
    folder = Path(folder)
    if not folder.exists():
        return [], []
    if not folder.is_dir():
        return [], [f"{folder}: 不是文件夹（办事指南是一个放 <编码>.toml 文件的文件夹） "
                    "(not a folder (the guide is a folder of <code>.toml files))"]
    entries, problems = [], []
    for path in sorted(folder.glob("*.toml")):
        try:
            data = path.read_bytes()
            if len(data) > MAX_FILE_BYTES:
                problems.append(f"{path}: 超过 1 MB，一个事项的指南只有几 KB (over 1 MB; one item's guide is a few kB)")
                continue
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append(f"{path}: 不是 UTF-8 文本（字节 0x{data[e.start]:02X}）：请把文件另存为 UTF-8 "
                            f"(not UTF-8 text (byte 0x{data[e.start]:02X}); save the file as UTF-8)")
            continue
        except OSError as e:
            problems.append(f"{path}: 读不了 (cannot read: {e.strerror or e})")
            continue
        entry, found = parse_entry(text, path)
        problems += found
        if entry is not None and not found:
            entries.append(entry)
    return entries, problems


def hall_problems(entries: list[GuideEntry], config, folder: Path | str = "") -> list[str]:
    """Problems of well-formed entries against the hall: unknown services and windows. Each
    line starts with the entry's file in ``folder``, or without a folder (the import's
    entries, which have no file yet) with ``事项 X02 (item X02): ``."""
    problems = []
    codes = {s.code for s in config.services}
    windows = {w.number for w in config.windows}
    for e in entries:
        where = f"{Path(folder) / (e.code + '.toml')}: " if folder else f"{place(item=e.code)}: "
        if e.service not in codes:
            some = sorted(codes)[:12]
            more = " …" if len(codes) > 12 else ""
            problems.append(where + f"service: 本大厅没有业务 {e.service!r}（本大厅的业务：{'、'.join(some)}{more}） "
                                    f"(unknown service {e.service!r} (the hall's services: {', '.join(some)}{more}))")
        for n in e.windows:
            if n not in windows:
                problems.append(where + f"windows: 本大厅没有 {n} 号窗口 (the hall has no window {n})")
        for i, m in enumerate(e.materials):
            if m.form not in FORMS:
                problems.append(where + f"materials[{i}].form: {m.form!r} 不是 {'、'.join(FORMS)} 之一 "
                                        f"({m.form!r} is not one of {', '.join(FORMS)})")
    return problems


class Guide:
    """A hall's guide, read-only: entries by code, browse lists, search."""

    def __init__(self, entries: list[GuideEntry], config=None):
        self.entries = sorted(entries, key=lambda e: e.code)
        self._by_code = {e.code: e for e in self.entries}
        self.config = config
        self._index = None

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def get(self, code: str) -> GuideEntry | None:
        return self._by_code.get(code)

    def zone(self, e: GuideEntry) -> str:
        if e.zone or self.config is None:
            return e.zone
        try:
            return self.config.service(e.service).zone
        except KeyError:
            return ""

    def windows(self, e: GuideEntry) -> list[int]:
        if e.windows or self.config is None:
            return list(e.windows)
        return [w.number for w in self.config.windows if e.service in w.services]

    def for_service(self, service: str) -> list[GuideEntry]:
        return [e for e in self.entries if e.service == service]

    def groups(self, by: str = "zone") -> list[tuple[str, list[GuideEntry]]]:
        """Entries grouped by zone or department, groups in order of first appearance."""
        out: dict[str, list[GuideEntry]] = {}
        for e in self.entries:
            key = (self.zone(e) if by == "zone" else e.department) or "其他"
            out.setdefault(key, []).append(e)
        return list(out.items())

    def search(self, text: str, limit: int = 50) -> list[GuideEntry]:
        """Entries matching ``text``: Chinese, full pinyin or initials (``bdc``), or a code."""
        from .guide_search import SearchIndex
        index = self._index
        if index is None:  # (two threads may both build it: the same index, no harm)
            index = self._index = SearchIndex(self.entries)
        return index.search(text, limit)

    def to_json(self) -> list[dict]:
        return [e.model_dump() for e in self.entries]

    @classmethod
    def from_json(cls, items: list[dict], config=None) -> "Guide":
        return cls([GuideEntry.model_validate(d) for d in items], config)


def load_guide(folder: Path | str, config=None) -> Guide:
    """The guide in ``folder`` (empty when there is none); GuideError lists every problem."""
    entries, problems = read_folder(folder)
    if config is not None:
        problems += hall_problems(entries, config, folder)
    if problems:
        raise GuideError(problems)
    return Guide(entries, config)


def hall_guide(config_path: Path | str, config) -> Guide:
    """The guide of the hall loaded from ``config_path``."""
    settings = getattr(config, "guide", None)
    return load_guide(guide_folder(config_path, settings.folder if settings else ""), config)


class GuideFiles:
    """A hall's guide folder, read again when its files change (checked at most every
    ``recheck_s``): what `jiaohao serve` and a one-PC kiosk use. A change that breaks a
    file keeps the last good guide (and logs the problems) until the file is fixed."""

    def __init__(self, folder: Path | str, config=None, recheck_s: float = 5.0):
        import threading
        self.folder = Path(folder)
        self.config = config
        self.recheck_s = recheck_s
        self._lock = threading.Lock()
        self._guide: Guide | None = None
        self._stamp = None
        self._checked = float("-inf")
        self.problems: list[str] = []

    def _signature(self):
        try:
            return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                                for p in self.folder.glob("*.toml")))
        except OSError:
            return None

    def current(self) -> Guide:
        import logging
        import time
        with self._lock:
            now = time.monotonic()
            if self._guide is not None and now - self._checked < self.recheck_s:
                return self._guide
            self._checked = now
            stamp = self._signature()
            if self._guide is not None and stamp == self._stamp:
                return self._guide
            try:
                guide = load_guide(self.folder, self.config)
                self.problems = []
            except GuideError as e:
                self.problems = e.problems
                logging.getLogger(__name__).warning("guide in %s not (re)loaded: %d problem(s), first: %s",
                                                    self.folder, len(e.problems), e.problems[0])
                if self._guide is None:
                    self._guide = Guide([], self.config)
                return self._guide
            self._guide, self._stamp = guide, stamp
            return guide
