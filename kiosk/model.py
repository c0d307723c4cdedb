"""The kiosk's home screen as data: service tiles grouped by zone, availability, paging.

No Qt here: the widgets in :mod:`kiosk.screens` only draw what these functions return,
so the rules (what is unavailable and why, how services are paged for elderly mode)
are tested without a screen.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Callable

from config import HallConfig, Service

from hall.snapshot import HallSnapshot, ServiceFigures

# Why a service cannot be taken now.
CLOSED = "closed"  # outside its opening periods
CAP = "cap"  # today's 限号 is used up


@dataclass(frozen=True)
class ServiceTile:
    """One touch target on the home screen."""

    code: str
    name: str
    name_en: str
    zone: str
    zone_en: str
    waiting: int
    wait_minutes: int
    available: bool
    reason: str | None = None  # CLOSED or CAP when not available
    opens_at: time | None = None  # CLOSED: the next opening today, None when done for the day
    hours: tuple[str, ...] = ()
    note: str = ""  # a manager's reason when issuing is stopped today (kiosk/issue_stop.py)

    def label(self, english: bool) -> str:
        return (self.name_en or self.name) if english else self.name

    def zone_label(self, english: bool) -> str:
        return (self.zone_en or self.zone) if english else self.zone


@dataclass(frozen=True)
class TileGroup:
    """Tiles of one zone on one page ("" when the hall has no zones)."""

    zone: str
    zone_en: str
    tiles: tuple[ServiceTile, ...]

    def label(self, english: bool) -> str:
        return (self.zone_en or self.zone) if english else self.zone


def next_opening(svc: Service, now: datetime) -> time | None:
    """The start of the service's next opening period later today, or None."""
    starts = sorted(a for a, _ in svc.periods() if a > now.time())
    return starts[0] if starts else None


def is_open(svc: Service, now: datetime) -> bool:
    t = now.time()
    return not svc.hours or any(a <= t < b for a, b in svc.periods())


def build_tiles(config: HallConfig, snapshot: HallSnapshot, now: datetime,
                priority: bool = False, open_now: Callable[[str], bool] | None = None) -> list[ServiceTile]:
    """Every service as a tile, in config order, unavailable ones with their reason.

    ``open_now(code)`` is the queue's ``is_open`` (the kiosk passes it so the queue stays
    the one judge of opening hours); without it the hours are checked against ``now``.

    Green-channel (priority) tickets are not counted against the daily cap (the queue's
    rule), so in priority mode a capped service stays available.
    """
    tiles = []
    for svc in config.services:
        fig = snapshot.services.get(svc.code) or ServiceFigures(svc.code, handling_minutes=svc.expected_minutes)
        reason, opens = None, None
        if not (open_now(svc.code) if open_now is not None else is_open(svc, now)):
            reason, opens = CLOSED, next_opening(svc, now)
        elif not priority and svc.daily_cap is not None and fig.issued_today >= svc.daily_cap:
            reason = CAP
        tiles.append(ServiceTile(svc.code, svc.name, svc.name_en, svc.zone, svc.zone_en, fig.waiting,
                                 fig.wait_minutes, reason is None, reason, opens, tuple(svc.hours)))
    return tiles


def order_by_zone(tiles: list[ServiceTile]) -> list[ServiceTile]:
    """Tiles of the same zone next to each other, zones in order of first appearance."""
    zones: dict[str, list[ServiceTile]] = {}
    for t in tiles:
        zones.setdefault(t.zone, []).append(t)
    return [t for group in zones.values() for t in group]


def paginate(tiles: list[ServiceTile], per_page: int) -> list[list[TileGroup]]:
    """Pages of at most ``per_page`` tiles, each page's tiles grouped by zone."""
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    ordered = order_by_zone(tiles)
    pages = []
    for start in range(0, len(ordered), per_page):
        groups: list[TileGroup] = []
        for t in ordered[start:start + per_page]:
            if groups and groups[-1].zone == t.zone:
                groups[-1] = TileGroup(t.zone, t.zone_en, groups[-1].tiles + (t,))
            else:
                groups.append(TileGroup(t.zone, t.zone_en, (t,)))
        pages.append(groups)
    return pages or [[]]
