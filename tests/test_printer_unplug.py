"""Unplugging the ticket printer and plugging it back, on each transport that can be
tested without hardware (issue 19): serial (a real pty), file:// (a device node that
vanishes), tcp:// (a print server on 127.0.0.1 that goes away and comes back).

Each time the OS error really happens (EIO, termios.error from tcflush on a hung-up
pty, ENOENT, ECONNREFUSED, EOF on the socket); the printer reports a PrinterError naming
its URL, ``status()`` never raises, and the next ticket after the replug prints.
"""
from __future__ import annotations

import os

import pytest

from drivers.printer import PrinterError, PrinterSimulator, TicketContent, TicketPrinter
from drivers.transport import register_sim, unregister_sim

from .printer_helpers import PrintServer

TICKET = TicketContent(hall="大厅", service="税务办理", number="E001", ahead=0, issued="2026-11-23 09:00")


def second_ticket() -> TicketContent:
    return TicketContent(hall="大厅", service="社保", number="F002", ahead=1, issued="2026-11-23 09:01")


def test_serial_printer_unplugged_and_replugged():
    sim = PrinterSimulator(name="printer-unplug")
    register_sim("printer-unplug", sim)
    p = TicketPrinter("sim://printer-unplug", timeout_s=1.0)
    try:
        p.print_ticket(TICKET)
        sim.stop()  # pulled out: the port we hold is a hung-up pty
        st = p.status()  # tcflush raises termios.error here, which is no OSError
        assert st.level == "offline" and "sim://printer-unplug" in st.detail
        with pytest.raises(PrinterError, match="sim://printer-unplug"):
            p.print_ticket(second_ticket())
        sim.start()
        p.print_ticket(second_ticket())
        assert sim.wait_for_jobs(2, timeout=5)
        assert b"F002" in sim.jobs[1]
    finally:
        p.close()
        unregister_sim("printer-unplug")


def test_file_printer_device_node_vanishes_and_comes_back(tmp_path):
    """file:///dev/usb/lp0 style: the node (here a symlink to the simulator's pty) goes away."""
    sim = PrinterSimulator(name="printer-lp0")
    node = tmp_path / "lp0"
    os.symlink(sim.start(), node)
    p = TicketPrinter(f"file://{node}", timeout_s=1.0)
    try:
        p.print_ticket(TICKET)
        assert sim.wait_for_jobs(1, timeout=5)
        sim.stop()
        node.unlink()
        with pytest.raises(PrinterError, match="lp0"):
            p.print_ticket(second_ticket())
        st = p.status()
        assert st.level == "offline" and "lp0" in st.detail and "No such file" in st.detail
        os.symlink(sim.start(), node)
        p.print_ticket(second_ticket())
        assert sim.wait_for_jobs(2, timeout=5)
    finally:
        p.close()
        sim.stop()


def test_network_printer_goes_away_and_comes_back():
    sim = PrinterSimulator(name="printer-tcp")
    server = PrintServer(sim)
    server.start()
    url = f"tcp://127.0.0.1:{server.port}"
    p = TicketPrinter(url, timeout_s=1.0)
    try:
        p.print_ticket(TICKET)
        server.stop()  # connection closed, nobody listening
        with pytest.raises(PrinterError, match=url):
            p.print_ticket(second_ticket())
        st = p.status()
        assert st.level == "offline" and url in st.detail
        server.start()  # back on the same port
        p.print_ticket(second_ticket())
        assert sim.wait_for_jobs(2, timeout=5)
        assert b"F002" in sim.jobs[1]
    finally:
        p.close()
        server.stop()
