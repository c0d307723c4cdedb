"""What the hall screen shows, without Qt: tested on its own, drawn by display/screen.py.

The model tails the queue's event log (:class:`hall.EventFeed`) and keeps:

- the highlighted call (请A023号到5号窗口), shown large and flashing. Calls that
  arrive together wait in a queue of pending highlights, and each one stays at least
  ``cfg.screen.min_show_seconds`` (no number shown for one second and replaced);
- the last ``cfg.screen.recent_calls`` calls, newest first (a recall moves its number
  back to the top);
- each window's current number and state (paused windows carry their reason 离岗/午休/会议);
- waiting counts per zone (专区) and per service;
- the notice line from ``cfg.hall.notice``.

After a restart it rebuilds from the queue's state (window states, waiting counts, the
day's last calls from the event log), so a screen switched on at 11:00 is right at once.
Time for the highlight queue comes from an injectable clock (seconds, monotonic).
"""
from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from hall import PAUSE_REASONS, EventFeed, HallError
from hall.clock import business_day

from .live_notice import LiveNotice

log = logging.getLogger(__name__)

CALL_KINDS = ("called", "recalled")
WINDOW_KINDS = ("called", "recalled", "finished", "skipped", "transferred", "paused", "resumed",
                "login", "logout")
CATCH_UP_EVENTS = 5000  # how far back the day's last calls are looked for after a restart
BACKLOG_AT_FULL_HOLD = 3  # up to this many waiting calls, each gets min_show_seconds


@dataclass(frozen=True)
class Call:
    """One call of a number to a window, as the screen words it."""

    number: str
    window: int
    service: str
    service_name: str
    at: float            # epoch seconds of the call
    event_id: int
    recall: bool = False

    @property
    def text_zh(self) -> str:
        return f"请{self.number}号到{self.window}号窗口"

    @property
    def text_en(self) -> str:
        return f"No. {self.number}, please go to window {self.window}"


@dataclass(frozen=True)
class WindowView:
    number: int
    name: str             # "5号窗口" or the configured name
    department: str
    state: str            # closed | idle | serving | paused | unknown (while the link is down)
    current: str | None   # ticket number being served
    pause_label: str = ""  # 离岗 / 午休 / 会议 / 暂停服务 when paused

    @property
    def label_zh(self) -> str:
        """What the window's cell says under its number."""
        if self.state == "paused":
            return self.pause_label or "暂停服务"
        if self.state == "closed":
            return "未开放"
        if self.state == "unknown":  # the hall server cannot be reached: no number that may be stale
            return "—"
        if self.current:
            return self.current
        return "空闲"


@dataclass(frozen=True)
class ZoneWaiting:
    zone: str
    zone_en: str
    waiting: int
    services: tuple[tuple[str, str, int], ...]  # (code, name, waiting)


@dataclass(frozen=True)
class ScreenState:
    """A snapshot for drawing."""

    hall_name: str
    hall_name_en: str
    now: datetime
    highlight: Call | None
    flashing: bool
    pending: int
    recent: tuple[Call, ...]
    windows: tuple[WindowView, ...]
    zones: tuple[ZoneWaiting, ...]
    waiting_total: int
    notice: str
    notice_en: str
    link_down: bool = False  # the hall server cannot be reached: no call is shown as current
    notice_live: bool = False  # a manager's notice (display/live_notice.py): boards put it before earlier calls


class ScreenModel:
    """The hall screen's state, fed by the event log. Call :meth:`update` every 100-200 ms."""

    def __init__(self, queue, config=None, clock: Callable[[], float] = time.monotonic, rotation=None):
        """``rotation``: the guide's 公示 items for the notice band (display/guide_notice.py)."""
        self.queue = queue
        self.rotation = rotation
        self.config = config or queue.config
        self.clock = clock
        sc = self.config.screen
        self.recent_limit = sc.recent_calls
        self.min_show = sc.min_show_seconds
        self.busy_show = min(sc.busy_show_seconds, sc.min_show_seconds)
        self.flash_seconds = sc.flash_seconds
        self._feed: EventFeed | None = None  # made once the hall answers (a hall server may not yet)
        self._recent: deque[Call] = deque()
        self._pending: deque[Call] = deque()
        self.highlight: Call | None = None
        self._shown_at: float | None = None
        self._windows: dict[int, WindowView] = {}
        self._waiting: dict[str, int] = {}
        self.shown_log: list[tuple[float, Call]] = []  # (clock time, call) of every highlight
        self.live_notice = LiveNotice()  # a manager's notice (hall_notice events) over the configured one
        self._start()

    def _start(self) -> bool:
        """Open the feed and catch up; False while the hall cannot be read (tried again at
        the next poll: a screen started before its hall server shows the notice meanwhile)."""
        try:
            self._feed = EventFeed(self.queue, consumer=None)
            self._catch_up()
        except HallError as e:
            log.warning("hall screen: the hall cannot be read yet: %s", e)
            self._feed = None
            return False
        return True

    # -- feeding -------------------------------------------------------------------------
    def _catch_up(self) -> None:
        """Rebuild from the queue: windows, waiting counts, the day's last calls (no flashing)."""
        for n in (w.number for w in self.config.windows):
            self._refresh_window(n)
        self._waiting = self.queue.waiting_by_service()
        last = self._feed.last_id
        today = business_day(self.queue.clock())
        start = max(0, last - CATCH_UP_EVENTS)
        calls = []
        while start < last:
            batch = self.queue.events_after(start, 1000)
            if not batch:
                break
            calls.extend(self._call(e) for e in batch if e.kind in CALL_KINDS and e.day == today)
            for e in batch:
                if e.day == today:
                    self.live_notice.apply(e)
            start = batch[-1].id
        for call in calls:
            self._remember(call)
        if self._recent:
            self.highlight = self._recent[0]
            self._shown_at = self.clock() - max(self.min_show, self.flash_seconds)

    def _call(self, e) -> Call:
        return Call(e.number or "?", e.window or 0, e.service or "", e.data.get("service_name", ""),
                    e.at, e.id, e.kind == "recalled")

    def _remember(self, call: Call) -> None:
        for old in list(self._recent):
            if old.number == call.number:
                self._recent.remove(old)
        self._recent.appendleft(call)
        while len(self._recent) > self.recent_limit:
            self._recent.pop()

    def _refresh_window(self, number: int) -> None:
        try:
            ws = self.queue.window_state(number)
            cfg = self.config.window(number)
        except Exception as e:  # noqa: BLE001 - e.g. a window no longer in the config
            log.debug("window %s not refreshed: %s", number, e)
            return
        label = ""
        if ws.state == "paused":
            label = PAUSE_REASONS.get(ws.pause_reason or "", "暂停服务")
        self._windows[number] = WindowView(
            number, cfg.name or f"{number}号窗口", ws.department, ws.state,
            ws.current.number if ws.current else None, label)

    def poll(self) -> bool:
        """Apply new events; True if anything changed."""
        if self._feed is None:
            return self._start()
        events = self._feed.poll()
        if not events:
            return False
        touched: set[int] = set()
        for e in events:
            if e.kind in CALL_KINDS:
                call = self._call(e)
                self._remember(call)
                if not any(p.number == call.number and p.window == call.window for p in self._pending):
                    self._pending.append(call)
            elif self.live_notice.apply(e) and e.kind == "hall_notice":
                continue
            if e.kind == "day_closed":
                self._recent.clear()
                self._pending.clear()
                self.highlight = None
                touched.update(w.number for w in self.config.windows)
            if e.window is not None and e.kind in WINDOW_KINDS:
                touched.add(e.window)
        for n in touched:
            self._refresh_window(n)
        try:
            self._waiting = self.queue.waiting_by_service()
        except HallError as e:  # e.g. the hall server does not answer: the last counts stay
            log.warning("waiting counts not read: %s", e)
        return True

    def hold_seconds(self) -> float:
        """How long the highlight stays: ``min_show_seconds``, shortened toward
        ``busy_show_seconds`` when many calls wait, so the big number keeps up with the voice."""
        waiting = len(self._pending)
        if waiting <= BACKLOG_AT_FULL_HOLD:
            return self.min_show
        return max(self.busy_show, self.min_show * BACKLOG_AT_FULL_HOLD / waiting)

    def _drop_stale(self) -> None:
        """Forget pending calls whose window has moved on (skipped, transferred, next called)."""
        for call in list(self._pending):
            view = self._windows.get(call.window)
            if view is not None and view.current != call.number:
                self._pending.remove(call)

    def tick(self) -> bool:
        """Move the highlight on when its time is over; True if it changed."""
        self._drop_stale()
        if not self._pending:
            return False
        now = self.clock()
        if self.highlight is not None and self._shown_at is not None and now - self._shown_at < self.hold_seconds():
            return False
        self.highlight = self._pending.popleft()
        self._shown_at = now
        self.shown_log.append((now, self.highlight))
        return True

    def update(self) -> bool:
        changed = self.poll()
        return self.tick() or changed

    # -- reading -------------------------------------------------------------------------
    @property
    def flashing(self) -> bool:
        return (self.highlight is not None and self._shown_at is not None
                and self.clock() - self._shown_at < self.flash_seconds)

    @property
    def pending(self) -> tuple[Call, ...]:
        return tuple(self._pending)

    @property
    def recent(self) -> tuple[Call, ...]:
        return tuple(self._recent)

    def window(self, number: int) -> WindowView:
        return self._windows[number]

    def zones(self) -> tuple[ZoneWaiting, ...]:
        order: list[str] = []
        groups: dict[str, list] = {}
        names_en: dict[str, str] = {}
        for s in self.config.services:
            zone = s.zone or s.name
            if zone not in groups:
                order.append(zone)
                groups[zone] = []
                names_en[zone] = s.zone_en or s.name_en
            groups[zone].append((s.code, s.name, self._waiting.get(s.code, 0)))
        return tuple(ZoneWaiting(z, names_en[z], sum(n for *_, n in groups[z]), tuple(groups[z]))
                     for z in order)

    def state(self) -> ScreenState:
        hall = self.config.hall
        live = self.live_notice.current(self.queue.clock())
        notice, notice_en = live or (hall.notice, hall.notice_en)
        trouble = self.queue.link_trouble()
        windows = tuple(self._windows[n] for n in sorted(self._windows))
        highlight, flashing = self.highlight, self.flashing
        if trouble is not None:
            # the hall server does not answer: say so instead of the notice, and show no
            # call as current (a number called meanwhile would be missing, an old one wrong)
            notice, notice_en = trouble
            highlight, flashing = None, False
            windows = tuple(replace(w, state="unknown", current=None, pause_label="") for w in windows)
        elif self.rotation is not None:
            item = self.rotation.current()
            if item is not None:
                notice, notice_en = f"{notice}　　{item[0]}", f"{notice_en}    {item[1]}" if notice_en else item[1]
        return ScreenState(
            hall.name, hall.name_en, self.queue.clock(), highlight, flashing,
            len(self._pending), self.recent, windows, self.zones(),
            sum(self._waiting.values()), notice, notice_en, trouble is not None,
            live is not None and trouble is None)


def with_highlight(state: ScreenState, call: Call | None, flashing: bool = True) -> ScreenState:
    """A copy of ``state`` highlighting ``call`` (screenshots, previews)."""
    return replace(state, highlight=call, flashing=flashing)


__all__ = ["Call", "WindowView", "ZoneWaiting", "ScreenState", "ScreenModel", "with_highlight"]
