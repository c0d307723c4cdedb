"""Printer URLs, and a time limit on every transport: a stalled printer never hangs a write."""
from __future__ import annotations

import os
import socket

import pytest

from drivers.printer import PrinterError, PrinterSimulator, PrinterTimeout, TicketContent, TicketPrinter
from drivers.printer.transports import PrinterAddress, open_transport, parse_url

from .printer_helpers import PrintServer

BIG = b"\x00" * (4 * 1024 * 1024)  # more than any kernel buffer between us and a stalled printer


@pytest.mark.parametrize("url, expected", [
    ("usb://0x0416:0x5011", PrinterAddress("usb", "usb://0x0416:0x5011", vid=0x0416, pid=0x5011)),
    ("tcp://10.1.2.3:9100", PrinterAddress("tcp", "10.1.2.3", port=9100)),
    ("tcp://printer", PrinterAddress("tcp", "printer", port=9100)),
    ("serial:///dev/ttyS0?baud=19200", PrinterAddress("serial", "/dev/ttyS0", baud=19200)),
    ("/dev/ttyUSB0", PrinterAddress("serial", "/dev/ttyUSB0")),
    ("file:///dev/usb/lp0", PrinterAddress("file", "/dev/usb/lp0")),
    ("/dev/usb/lp0", PrinterAddress("file", "/dev/usb/lp0")),
    ("sim://kiosk1", PrinterAddress("sim", "sim://kiosk1", baud=115200)),
    ("sim://kiosk1?status=paper_out", PrinterAddress("sim", "sim://kiosk1", baud=115200)),
])
def test_parse_url(url, expected):
    got = parse_url(url)
    assert (got.scheme, got.target, got.port, got.vid, got.pid, got.baud) == \
        (expected.scheme, expected.target, expected.port, expected.vid, expected.pid, expected.baud)


@pytest.mark.parametrize("url, hint", [("usb://0416", "VID:PID"), ("lpt://1", "unknown printer address"),
                                       ("tcp://", "HOST:PORT")])
def test_bad_urls_say_what_a_good_one_looks_like(url, hint):
    with pytest.raises(ValueError, match=hint):
        parse_url(url)


def test_serial_write_times_out_when_the_printer_stops_reading():
    class Stalled(PrinterSimulator):
        def on_bytes(self, data):  # never called: the thread is parked
            raise AssertionError

        def _run(self):
            self._stop.wait()

    from drivers.transport import register_sim, unregister_sim
    register_sim("stalled-printer", Stalled())
    try:
        t = open_transport("sim://stalled-printer", timeout=0.3)
        with pytest.raises(PrinterTimeout, match="took no data"):
            t.write(BIG)
        t.close()
    finally:
        unregister_sim("stalled-printer")


def test_file_write_times_out_on_a_stalled_device(tmp_path):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a device that takes no data
    try:
        t = open_transport(f"file://{fifo}", timeout=0.3)
        with pytest.raises(PrinterTimeout):
            t.write(BIG)
        t.close()
    finally:
        os.close(reader)


@pytest.fixture
def tcp_printer():
    """A network printer on localhost: the simulator behind a TCP socket (like a :9100 print server)."""
    server = PrintServer(PrinterSimulator())
    server.start()
    yield server.sim, f"tcp://127.0.0.1:{server.port}"
    server.stop()


def test_network_printer_status_and_ticket(tcp_printer):
    sim, url = tcp_printer
    p = TicketPrinter(url, timeout_s=1.0)
    try:
        assert p.status().level == "ok"
        sim.set_status("cover_open")
        assert p.status().level == "cover_open"
        sim.set_status("ok")
        p.print_ticket(TicketContent(hall="大厅", service="税务办理", number="E001", ahead=0, issued="09:00"))
        assert sim.wait_for_jobs(1, timeout=5)
        assert "税务办理".encode("gbk") in sim.jobs[0]
    finally:
        p.close()


def test_network_write_times_out_when_nobody_reads():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        t = open_transport(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout=0.3)
        with pytest.raises(PrinterTimeout):
            t.write(BIG * 4)
        t.close()
    finally:
        server.close()


def test_connection_refused_names_the_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(PrinterError, match=f"tcp://127.0.0.1:{port}"):
        open_transport(f"tcp://127.0.0.1:{port}", timeout=0.5)


def test_usb_printer_absent_is_a_clear_error():
    with pytest.raises(PrinterError, match="usb://0x0416:0x5011"):
        open_transport("usb://0x0416:0x5011", timeout=0.5)


def test_slow_serial_line_allows_for_bytes_still_on_their_way():
    from drivers.printer.transports import SerialTransport
    t = SerialTransport("loop://", 9600, 1.0, target="loop://")
    try:
        assert t.transmit_seconds(960) == pytest.approx(1.0)  # 960 bytes x 10 bits at 9600 baud
    finally:
        t.close()
