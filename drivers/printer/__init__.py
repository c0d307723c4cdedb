"""ESC/POS ticket printer: commands, Chinese text, status, transports by URL, a simulator.

``open_printer(cfg.printer) -> TicketPrinter``; ``PrinterSimulator`` answers status and
renders what it receives to PNG; it is started by itself for ``sim://`` URLs.
"""
from .. import DeviceError


class PrinterError(DeviceError):
    """The printer could not be reached or did not take the job; the message names the URL."""


class PrinterTimeout(PrinterError):
    """A write made no progress within the transport's time-out."""


class PrinterFault(PrinterError):
    """The printer reported a state that stops printing (paper out, cover open …)."""

    def __init__(self, message: str, status):
        super().__init__(message)
        self.status = status


from .commands import PAPERS, EscPosCommands, Paper, encode_text, text_line  # noqa: E402
from .status import PrinterStatus, interpret  # noqa: E402
from .ticket import TicketContent  # noqa: E402
from .printer import TicketPrinter, open_printer  # noqa: E402
from .simulator import PrinterSimulator  # noqa: E402

__all__ = [
    "PrinterError", "PrinterTimeout", "PrinterFault", "PAPERS", "EscPosCommands", "Paper",
    "encode_text", "text_line", "PrinterStatus", "interpret", "TicketContent", "TicketPrinter",
    "open_printer", "PrinterSimulator",
]
