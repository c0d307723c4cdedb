"""Printer transports by URL, each with a time limit on every write and read.

=============================  ==================================================
``usb://0x0416:0x5011``        python-escpos ``Usb`` (pyusb), write time-out in ms
``tcp://10.1.2.3:9100``        python-escpos ``Network`` (socket time-out)
``serial:///dev/ttyS0?baud=N`` pyserial via ``drivers.transport.open_serial``
``sim://NAME``                 the printer simulator over a pty (same code path)
``file:///dev/usb/lp0``        the device node, written non-blocking with a deadline
=============================  ==================================================

Serial goes through the project's ``open_serial`` rather than escpos ``Serial`` because
the latter has no write time-out and no URL or ``sim://`` support; file goes through a
small non-blocking writer because escpos ``File`` blocks forever on a stalled
``/dev/usb/lp0``. Data is written in chunks, so the time-out means "no progress for
that long", not "the whole raster job within that long".
"""
from __future__ import annotations

import logging
import os
import select
import socket
import stat
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from ..transport import PORT_ERRORS
from . import PrinterError, PrinterTimeout

log = logging.getLogger(__name__)

CHUNK = 1024


@dataclass(frozen=True)
class PrinterAddress:
    """A parsed printer URL."""

    scheme: str            # usb | tcp | serial | sim | file
    target: str            # host, device path, sim URL or file path
    port: int = 0          # tcp port
    vid: int = 0
    pid: int = 0
    baud: int = 9600
    options: dict = field(default_factory=dict)


def parse_url(url: str) -> PrinterAddress:
    """Parse a printer URL; ValueError says what a valid one looks like."""
    url = url.strip()
    if url.startswith("/") or (len(url) > 2 and url[1] == ":" and url[0].isalpha()) or url.upper().startswith("COM"):
        base = os.path.basename(url)
        return PrinterAddress("file" if base.startswith("lp") else "serial", url)
    parts = urlsplit(url)
    scheme, q = parts.scheme.lower(), {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if scheme == "usb":
        ids = (parts.netloc + parts.path).strip("/").split(":")
        try:
            vid, pid = (int(x, 16) for x in ids)
        except ValueError:
            raise ValueError(f"{url}: a USB printer is usb://VID:PID in hex, e.g. usb://0x0416:0x5011") from None
        return PrinterAddress("usb", url, vid=vid, pid=pid, options=q)
    if scheme in ("tcp", "socket"):
        if not parts.hostname:
            raise ValueError(f"{url}: a network printer is tcp://HOST:PORT, e.g. tcp://10.1.2.3:9100")
        return PrinterAddress("tcp", parts.hostname, port=parts.port or 9100)
    if scheme == "serial":
        path = (parts.netloc + parts.path) or ""
        if not path:
            raise ValueError(f"{url}: a serial printer is serial:///dev/ttyS0?baud=19200")
        return PrinterAddress("serial", path, baud=int(q.get("baud", 9600)))
    if scheme == "sim":
        return PrinterAddress("sim", url.split("?")[0], baud=int(q.get("baud", 115200)))
    if scheme == "file":
        if not parts.path:
            raise ValueError(f"{url}: a file printer is file:///path, e.g. file:///dev/usb/lp0")
        return PrinterAddress("file", parts.path)
    raise ValueError(f"{url}: unknown printer address; use usb://VID:PID, tcp://HOST:PORT, "
                     "serial:///dev/ttyS0?baud=19200, file:///dev/usb/lp0 or sim://NAME")


class Transport:
    """Bytes to and from a printer. ``can_read`` says whether status can be asked."""

    url = ""
    can_read = True

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def read(self, timeout: float) -> bytes:
        """Up to a few bytes the printer sent, or b"" after ``timeout`` seconds."""
        raise NotImplementedError

    def drain_input(self) -> None:
        """Drop stale bytes (a late answer to an earlier query)."""
        while self.read(0.0):
            pass

    def transmit_seconds(self, nbytes: int) -> float:
        """How long ``nbytes`` just written may still be on their way (slow serial lines)."""
        return 0.0

    def close(self) -> None:
        pass


class SerialTransport(Transport):
    """A serial port or ``sim://`` pty through pyserial, with a write time-out."""

    def __init__(self, url: str, baud: int, timeout: float, default_sim: Callable | None = None,
                 target: str | None = None):
        from ..transport import open_serial
        self.url, self.timeout = url, timeout
        try:
            self.port = open_serial(target or url, baud=baud, timeout=0, default_sim=default_sim)
        except Exception as e:  # DeviceError already names the URL
            raise PrinterError(str(e)) from e
        self.port.write_timeout = timeout

    def write(self, data: bytes) -> None:
        import serial
        for i in range(0, len(data), CHUNK):
            try:
                self.port.write(data[i:i + CHUNK])
            except serial.SerialTimeoutException:
                raise PrinterTimeout(f"{self.url}: the printer took no data for {self.timeout:g} s "
                                     f"({i} of {len(data)} bytes sent)") from None
            except PORT_ERRORS as e:
                raise PrinterError(f"{self.url}: write failed ({e})") from e

    def read(self, timeout: float) -> bytes:
        try:
            self.port.timeout = timeout
            return self.port.read(1) + (self.port.read(self.port.in_waiting) if self.port.in_waiting else b"")
        except PORT_ERRORS as e:
            raise PrinterError(f"{self.url}: read failed ({e})") from e
        finally:
            try:
                self.port.timeout = 0
            except PORT_ERRORS:
                pass  # the port is gone; the error above says so

    def drain_input(self) -> None:
        try:
            self.port.reset_input_buffer()
        except PORT_ERRORS as e:  # termios.error on a vanished device
            raise PrinterError(f"{self.url}: the port failed ({e})") from e

    def transmit_seconds(self, nbytes: int) -> float:
        if self.url.startswith("sim://"):
            return 0.0
        return nbytes * 10 / max(self.port.baudrate, 1)  # 8N1: 10 bits a byte

    def close(self) -> None:
        try:
            self.port.reset_output_buffer()
            self.port.close()
        except Exception:  # noqa: BLE001 - closing a broken port
            pass


class EscposTransport(Transport):
    """A python-escpos connection (``Usb`` or ``Network``) held as a field.

    ``timeouts`` are the exception types meaning "no progress in time", ``errors`` the
    ones meaning the connection failed.
    """

    def __init__(self, url: str, escpos_printer, read: Callable[[float], bytes], timeouts: tuple, errors: tuple):
        self.url, self.esc, self._read = url, escpos_printer, read
        self._timeouts, self._errors = timeouts, errors

    def write(self, data: bytes) -> None:
        for i in range(0, len(data), CHUNK):
            try:
                self.esc._raw(data[i:i + CHUNK])  # escpos's one send function
            except self._timeouts:
                raise PrinterTimeout(f"{self.url}: the printer took no data in time "
                                     f"({i} of {len(data)} bytes sent)") from None
            except self._errors as e:
                raise PrinterError(f"{self.url}: write failed ({e})") from e

    def read(self, timeout: float) -> bytes:
        try:
            return self._read(timeout)
        except self._timeouts:
            return b""
        except self._errors as e:
            raise PrinterError(f"{self.url}: read failed ({e})") from e

    def close(self) -> None:
        try:
            self.esc.close()
        except Exception:  # noqa: BLE001
            pass


def _last_line(e: Exception) -> str:
    """The useful line of an escpos/pyusb error (escpos wraps its message in "Device not found (…)")."""
    text = str(getattr(e, "msg", "") or e).strip()
    return text.splitlines()[-1] if text else type(e).__name__


def _open_network(addr: PrinterAddress, url: str, timeout: float) -> EscposTransport:
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import Network
    esc = Network(addr.target, port=addr.port, timeout=timeout)
    try:
        esc.open()
    except DeviceNotFoundError as e:
        raise PrinterError(f"{url}: cannot connect ({_last_line(e)})") from e

    def read(t: float) -> bytes:
        esc.device.settimeout(max(t, 0.001))
        try:
            return esc.device.recv(16)
        finally:
            esc.device.settimeout(timeout)
    return EscposTransport(url, esc, read, (socket.timeout,), (OSError,))


def _open_usb(addr: PrinterAddress, url: str, timeout: float) -> EscposTransport:
    try:
        import usb.core
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Usb
    except ImportError as e:  # pragma: no cover - pyusb is a dependency
        raise PrinterError(f"{url}: USB printing needs pyusb ({e})") from e
    in_ep = int(addr.options.get("in_ep", "0x82"), 16)
    out_ep = int(addr.options.get("out_ep", "0x01"), 16)
    esc = Usb(addr.vid, addr.pid, timeout=int(timeout * 1000), in_ep=in_ep, out_ep=out_ep)
    try:
        esc.open()
    except usb.core.NoBackendError as e:
        raise PrinterError(f"{url}: libusb is not installed (apt install libusb-1.0-0)") from e
    except DeviceNotFoundError as e:
        if usb.core.find(idVendor=addr.vid, idProduct=addr.pid) is None:
            raise PrinterError(f"{url}: no USB device {addr.vid:04x}:{addr.pid:04x} is plugged in "
                               "(cable, power, or another VID:PID: see lsusb)") from e
        raise PrinterError(f"{url}: USB printer {addr.vid:04x}:{addr.pid:04x} found but not usable "
                           f"({_last_line(e)}; permissions?)") from e

    def read(t: float) -> bytes:
        return bytes(esc.device.read(in_ep, 16, max(1, int(t * 1000))))
    timeouts = (usb.core.USBTimeoutError,) if hasattr(usb.core, "USBTimeoutError") else ()
    return EscposTransport(url, esc, read, timeouts, (usb.core.USBError, OSError))


def _names_a_device(path: str) -> bool:
    """/dev/…, lp0, ttyUSB0, usb/lp1: a device node the OS makes; never created by us."""
    return path.startswith("/dev/") or os.path.basename(path).startswith(("lp", "tty"))


class FileTransport(Transport):
    """A device node or file, written non-blocking so a stalled printer cannot hang us.

    Character devices (``/dev/usb/lp0``) are opened read-write so status can be asked;
    a plain file is write-only (``can_read`` False, status assumed ready). A missing path that
    names a device (under /dev, or lp*, tty*) is an error, never created as a plain file.
    """

    def __init__(self, url: str, path: str, timeout: float):
        self.url, self.path, self.timeout = url, path, timeout
        try:
            is_dev = os.path.exists(path) and stat.S_ISCHR(os.stat(path).st_mode)
            if is_dev or _names_a_device(path):  # a vanished /dev/usb/lp0 must not become a plain file
                flags = os.O_RDWR
            else:
                flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
            self.fd = os.open(path, flags | os.O_NONBLOCK, 0o644)
            is_dev = stat.S_ISCHR(os.fstat(self.fd).st_mode)
        except OSError as e:
            raise PrinterError(f"{url}: cannot open {path} ({e.strerror})") from e
        self.can_read = is_dev

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        sent = 0
        while view:
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    n = os.write(self.fd, view[:CHUNK])
                    break
                except BlockingIOError:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise PrinterTimeout(f"{self.url}: the printer took no data for {self.timeout:g} s "
                                             f"({sent} of {len(data)} bytes sent)") from None
                    select.select([], [self.fd], [], min(left, 0.2))
                except OSError as e:
                    raise PrinterError(f"{self.url}: write failed ({e.strerror})") from e
            view, sent = view[n:], sent + n

    def read(self, timeout: float) -> bytes:
        if not self.can_read:
            return b""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.fd, 16)
        except BlockingIOError:
            return b""
        except OSError as e:  # EIO, ENODEV: the device is gone
            raise PrinterError(f"{self.url}: read failed ({e.strerror})") from e

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def open_transport(url: str, timeout: float = 5.0, default_sim: Callable | None = None) -> Transport:
    """Open the printer at ``url``; PrinterError names the URL and the reason."""
    try:
        addr = parse_url(url)
    except ValueError as e:
        raise PrinterError(str(e)) from None
    if addr.scheme == "usb":
        return _open_usb(addr, url, timeout)
    if addr.scheme == "tcp":
        return _open_network(addr, url, timeout)
    if addr.scheme == "file":
        return FileTransport(url, addr.target, timeout)
    if addr.scheme == "sim":
        return SerialTransport(url, addr.baud, timeout, default_sim, target=addr.target)
    return SerialTransport(url, addr.baud, timeout, target=addr.target)
