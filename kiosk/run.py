"""Start the kiosk: the Qt application, the issuer on the configured printer, the window.

Used by ``jiaohao kiosk`` and the demo. In kiosk mode the window is frameless and full
screen, the mouse pointer is hidden (it is a touchscreen) and only the technician
menu closes it; ``windowed`` is for development and training.
"""
from __future__ import annotations

import logging
import signal
import socket
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from .app import KioskWindow
from .lockout import default_state_path
from .printing import TicketIssuer
from .voice import open_prompts

log = logging.getLogger(__name__)


def application() -> QApplication:
    """The QApplication (created if needed) with the kiosk's CJK font as default."""
    app = QApplication.instance() or QApplication([])
    font = QFont("WenQuanYi Micro Hei")
    font.setStyleHint(QFont.SansSerif)
    app.setFont(font)
    return app


def with_printer(config, printer_url: str | None):
    """The config with its printer URL replaced (``--printer``)."""
    if not printer_url:
        return config
    return config.model_copy(update={"printer": config.printer.model_copy(update={"url": printer_url})})


def with_offline_issue(queue, journal_path=None):
    """A kiosk on the hall server issues offline from number leases (kiosk/offline.py),
    unless the hall sets ``[kiosk] lease_size = 0`` (and no ``lease_sizes``)."""
    from hall.remote import RemoteHall
    if not isinstance(queue, RemoteHall):
        return queue
    k = queue.config.kiosk
    if not k.lease_size and not any(k.lease_sizes.values()):
        return queue
    from .offline import OfflineHall
    from .offline_journal import OfflineJournal, default_journal_path
    return OfflineHall(queue, OfflineJournal(journal_path or default_journal_path(), queue.server))


def build(queue, config, *, kiosk_name: str | None = None, kiosk_mode: bool = True, voice: bool = True,
          size: tuple[int, int] | None = None, start_timers: bool = True) -> KioskWindow:
    """A kiosk window on ``queue`` printing to ``config.printer`` (not shown yet)."""
    application()
    issuer = TicketIssuer(queue, config)
    prompts = open_prompts(config.voice) if voice else None
    w = KioskWindow(queue, config, issuer, kiosk_name=kiosk_name or socket.gethostname(),
                    kiosk_mode=kiosk_mode, voice=prompts, start_timers=start_timers,
                    lockout_path=default_state_path() if kiosk_mode else None)
    if size:
        w.resize(*size)
    return w


def run(queue, config, *, windowed: bool = False, size: tuple[int, int] | None = None,
        kiosk_name: str | None = None, voice: bool = True) -> int:
    """Show the kiosk and run the Qt event loop until a technician closes it."""
    t0 = time.monotonic()
    app = application()
    w = build(queue, config, kiosk_name=kiosk_name, kiosk_mode=not windowed, voice=voice,
              size=size or ((1080, 1920) if windowed else None))
    w.on_exit = app.quit

    def stop(signum, _frame) -> None:  # systemd stop / Ctrl+C in a terminal: close cleanly
        log.info("signal %d: closing the kiosk", signum)
        w.allow_close = True
        app.quit()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if windowed:
        w.show()
    else:
        app.setOverrideCursor(Qt.BlankCursor)
        w.showFullScreen()
    log.info("kiosk ready in %.2f s (printer %s)", time.monotonic() - t0, config.printer.url)
    if not config.kiosk.technician_pin_hash:
        log.warning("no technician PIN set: the technician menu cannot be opened "
                    "(jiaohao pin set --role technician, then restart the kiosk)")
    if config.kiosk.priority_rule == "pin" and not config.kiosk.priority_pin_hash:
        log.warning("no green-channel staff PIN set: the green channel is off (jiaohao pin set --role green)")
    try:
        return app.exec()
    finally:
        w.allow_close = True
        w.shutdown()
        w.issuer.printer.close()
