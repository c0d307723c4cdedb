"""Tail the event log: how every other part (voice, screens, buses) learns what happened.

A consumer with a name keeps its cursor in the database, so after a restart it
resumes from the last event it handled: nothing is lost and nothing is repeated.
A damaged event row is skipped and reported once with its id (:mod:`hall.eventlog`),
so the parts that tail the log keep running instead of failing on it at every start.
"""
from __future__ import annotations

from .models import Event
from .port import Hall


class EventFeed:
    """Events after a cursor, in order. ``consumer=None`` keeps the cursor in memory only."""

    def __init__(self, queue: Hall, consumer: str | None = None, start: int | None = None):
        self.queue = queue
        self.consumer = consumer
        self.skipped: list[int] = []  # ids of damaged events this feed passed over
        if start is not None:
            self.last_id = start
        elif consumer is not None:
            saved = queue.get_cursor(consumer)
            self.last_id = saved if saved is not None else queue.last_event_id()
        else:
            self.last_id = queue.last_event_id()

    def poll(self, limit: int = 500) -> list[Event]:
        """New events since the last poll (the cursor moves; call :meth:`save` once handled)."""
        events, skipped, self.last_id = self.queue.event_page(self.last_id, limit)
        self.skipped.extend(skipped)
        return events

    def save(self, event_id: int | None = None) -> None:
        """Persist the cursor (the id of the last event fully handled)."""
        if self.consumer is not None:
            self.queue.set_cursor(self.consumer, self.last_id if event_id is None else event_id)
