"""The hall's client PCs for the network tests, in the test process: each a RemoteHall
with its own device token (and for the Qt ones, the real widget over it, offscreen).
Fixtures ``remote`` (a factory of RemoteHalls, all closed at the end) and ``printer``
(the kiosk's own printer simulator), and builders of the kiosk window."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from config import load_hall
from hall import FixedClock
from hall.remote import RemoteHall
from tests.net_helpers import NOW

WAIT_MS = 15000


class Clients:
    """Each PC's RemoteHall (``remote("kiosk-1")``, optionally through ``url``)."""

    def __init__(self, hall):
        self.hall, self.made, self.widgets = hall, [], []
        self.config = load_hall(hall.config)

    def __call__(self, device: str, url: str | None = None, timeout_s: float = 3.0) -> RemoteHall:
        rh = RemoteHall(url or self.hall.url, self.hall.tokens[device], self.config, timeout_s=timeout_s,
                        clock=FixedClock(datetime.fromisoformat(NOW)))
        self.made.append(rh)
        return rh

    def close(self) -> None:
        from PySide6.QtCore import QTimer
        for w in self.widgets:  # their timers would poll the closed halls until pytest-qt closes them
            for t in w.findChildren(QTimer):
                t.stop()
        for rh in self.made:
            rh.close()


@pytest.fixture
def remote(hall):
    c = Clients(hall)
    yield c
    c.close()


@pytest.fixture
def printer():
    from drivers.printer import PrinterSimulator
    from drivers.transport import register_sim, unregister_sim
    name = f"net-kiosk-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(name=name)
    register_sim(name, sim)
    yield name, sim
    unregister_sim(name)


def make_kiosk(qtbot, remote: Clients, printer, url: str | None = None):
    """The kiosk window on the ``kiosk-1`` RemoteHall, printing to ``printer``; (window, issuer)."""
    from kiosk.app import KioskWindow
    from kiosk.printing import TicketIssuer
    cfg = remote.config.model_copy(update={"printer": remote.config.printer.model_copy(
        update={"url": f"sim://{printer[0]}", "timeout_s": 2.0})})
    kiosk_hall = remote("kiosk-1", url)
    issuer = TicketIssuer(kiosk_hall, cfg)
    kiosk = KioskWindow(kiosk_hall, cfg, issuer, kiosk_name="kiosk-1", kiosk_mode=False, start_timers=False)
    qtbot.addWidget(kiosk)
    remote.widgets.append(kiosk)
    kiosk.resize(1080, 1920)
    kiosk.show()
    return kiosk, issuer


def close_kiosk(kiosk, issuer) -> None:
    kiosk.allow_close = True
    kiosk.shutdown()
    issuer.printer.close()


def make_panel(qtbot, remote: Clients, window: int, url: str | None = None):
    """The software caller of ``window`` on the ``caller-N`` RemoteHall."""
    from caller.panel import CallerModel, CallerPanel
    panel = CallerPanel(CallerModel(remote(f"caller-{window}", url), window), refresh_ms=100)
    qtbot.addWidget(panel)
    remote.widgets.append(panel)
    panel.show()
    return panel


def make_screen(qtbot, remote: Clients):
    """The hall screen on the ``screen-1`` RemoteHall."""
    from display.screen import HallScreen
    from display.screen_model import ScreenModel
    screen = HallScreen(ScreenModel(remote("screen-1")), poll_ms=100)
    qtbot.addWidget(screen)
    remote.widgets.append(screen)
    screen.resize(1920, 1080)
    screen.show()
    return screen
