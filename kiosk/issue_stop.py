"""暂停取号 on the kiosk: a service whose issuing a manager stopped for today (the hall's
snapshot says so, with the manager's reason) is shown off, with that reason on its tile
and on the message a tap brings, instead of its waiting figures."""
from __future__ import annotations

from dataclasses import replace

from hall.snapshot import HallSnapshot

from .model import ServiceTile

STOPPED = "stopped"


def apply_stops(tiles: list[ServiceTile], snapshot: HallSnapshot) -> list[ServiceTile]:
    """``tiles`` with each stopped service unavailable, its reason kept on the tile."""
    out = []
    for tile in tiles:
        fig = snapshot.services.get(tile.code)
        reason = getattr(fig, "stopped", None) if fig is not None else None
        out.append(replace(tile, available=False, reason=STOPPED, note=reason) if reason else tile)
    return out


def stopped_text(tile: ServiceTile, english: bool) -> str:
    """The tile's line: why no ticket can be taken today."""
    return (f"Not issuing today: {tile.note}" if english else f"今日暂停取号：{tile.note}")
