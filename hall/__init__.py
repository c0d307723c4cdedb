"""The queue core: SQLite store, next-ticket rules, operations, event log. No Qt, no devices."""
from .clock import FixedClock, ScaledClock, business_day, system_clock
from .errors import (DailyCapReached, HallError, InvalidArgument, ServiceClosed, UnknownService,
                     UnknownTicket, UnknownWindow, WindowNotReady)
from .models import Event, Ticket, WindowState
from .queue import PAUSE_REASONS, SCORES, HallQueue
from .feed import EventFeed

__all__ = [
    "FixedClock", "ScaledClock", "business_day", "system_clock",
    "DailyCapReached", "HallError", "InvalidArgument", "ServiceClosed", "UnknownService",
    "UnknownTicket", "UnknownWindow", "WindowNotReady",
    "Event", "EventFeed", "Ticket", "WindowState", "PAUSE_REASONS", "SCORES", "HallQueue",
]
