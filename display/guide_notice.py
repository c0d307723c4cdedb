"""公示 on the hall screen: the guide's items, one at a time, in the notice band.

With ``[guide] screen_rotation = true`` the notice band shows the hall's notice followed
by one item of the guide — its name, promised time limit and fee (the 公示 a hall posts
for each item) — and moves to the next item every ``rotation_seconds``. The hall screen
restarts the band's scroll when its text changes, so each item is read from its start.
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


def publicity_text(e) -> tuple[str, str]:
    """One item as the notice band says it, in Chinese and English."""
    zh = f"【办事公示】{e.name}"
    en = f"[Service notice] {e.name_en or e.name}"
    if e.time_limit_zh:
        zh += f"  承诺时限：{e.time_limit_zh}"
        en += f"  time limit: {e.time_limit_en}"
    zh += f"  收费：{e.fee}"
    en += f"  fee: {e.fee}" if e.fee != "不收费" else "  free of charge"
    return zh, en


class GuideRotation:
    """The current 公示 item; ``source`` has ``current() -> Guide`` (config.guide.GuideFiles,
    hall.remote_guide.RemoteGuide)."""

    def __init__(self, source, seconds: float, clock=time.monotonic):
        self.source, self.seconds, self.clock = source, seconds, clock
        self._start = clock()

    def current(self) -> tuple[str, str] | None:
        try:
            guide = self.source.current()
        except Exception as e:  # noqa: BLE001 - the notice stays the hall's own
            log.warning("guide for the notice band not available: %s", e)
            return None
        if not guide:
            return None
        i = int((self.clock() - self._start) // self.seconds) % len(guide.entries)
        return publicity_text(guide.entries[i])


def rotation_for(ctx):
    """The rotation the hall file asks for (``[guide] screen_rotation``), or None."""
    settings = getattr(ctx.config, "guide", None)
    if settings is None or not settings.screen_rotation:
        return None
    return GuideRotation(ctx.guide_source(), settings.rotation_seconds)
