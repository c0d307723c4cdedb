"""Errors of the queue core. Each message is one plain sentence for the person who acted."""


class HallError(Exception):
    """Root of every refusal the queue gives."""

    code = "error"


class UnknownService(HallError):
    code = "unknown_service"


class UnknownWindow(HallError):
    code = "unknown_window"


class UnknownTicket(HallError):
    code = "unknown_ticket"


class ServiceClosed(HallError):
    """Outside the service's opening periods."""

    code = "closed"


class DailyCapReached(HallError):
    """The service's 限号 for today is used up."""

    code = "cap"


class WindowNotReady(HallError):
    """The window cannot do that now (paused, closed, nothing current)."""

    code = "window_state"


class InvalidArgument(HallError):
    code = "invalid"
