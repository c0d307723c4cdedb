"""The manager's notice on the hall screen and the LED boards (``hall_notice`` events,
written by hall/manage_ops.py): it replaces the configured ``[hall] notice`` until it is
cleared, its time is up or the day ends."""
from __future__ import annotations


class LiveNotice:
    """The latest ``hall_notice`` of the day, folded from the event log."""

    def __init__(self):
        self.text, self.text_en, self.until, self.day = "", "", None, None

    def apply(self, event) -> bool:
        """Take ``event`` if it is a notice; True when the notice changed."""
        if event.kind == "hall_notice":
            d = event.data or {}
            self.text, self.text_en = str(d.get("text") or ""), str(d.get("text_en") or "")
            self.until, self.day = d.get("until"), event.day
            return True
        if event.kind == "day_closed" and self.text:
            self.text, self.text_en, self.until = "", "", None
            return True
        return False

    def current(self, now) -> tuple[str, str] | None:
        """(zh, en) to show at hall time ``now`` (a datetime), or None for the configured notice."""
        if not self.text or (self.day and self.day != now.date().isoformat()):
            return None
        if self.until is not None and now.timestamp() >= self.until:
            return None
        return self.text, self.text_en
