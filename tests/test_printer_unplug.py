"""Unplugging the ticket printer and plugging it back, on each transport that can be
tested without hardware (issue 19): serial (a real pty), file:// (a device node that
vanishes), tcp:// (a print server on 127.0.0.1 that goes away and comes back).

Each time the OS error really happens (EIO, termios.error from tcflush on a hung-up
pty, ENOENT, ECONNREFUSED, EOF on the socket); the printer reports a PrinterError naming
its URL, ``status()`` never raises, and the next ticket after the replug prints.
"""
from __future__ import annotations

import os
import socket
import threading

import pytest

from drivers.printer import PrinterError, PrinterSimulator, TicketContent, TicketPrinter
from drivers.transport import register_sim, unregister_sim

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


class PrintServer:
    """A :9100 print server on 127.0.0.1 in front of a simulator; stop() is the cable pulled."""

    def __init__(self, sim: PrinterSimulator):
        self.sim, self.port = sim, 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._server: socket.socket | None = None

    def start(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", self.port))
        self.port = self._server.getsockname()[1]
        self._server.listen(1)
        self._server.settimeout(0.1)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            conn.settimeout(0.1)
            with conn:
                while not self._stop.is_set():
                    try:
                        data = conn.recv(65536)
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    reply = self.sim.feed(data)
                    if reply:
                        conn.sendall(reply)


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
