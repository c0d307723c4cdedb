"""Drive one LED hall board: lay lines of text out on it and send them, waiting for its answer."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import serial

from drivers.transport import PORT_ERRORS, close_port, open_serial, port_error_text

from . import FrameError, LedError, onbon, plain

log = logging.getLogger(__name__)
traffic = logging.getLogger("drivers.led.traffic")  # raw bytes, at DEBUG


def font_size(line_height: int) -> int:
    """The font size a font card uses for a line of this height (12/16/24/32 px)."""
    for size in (32, 24, 16, 12):
        if line_height >= size:
            return size
    return line_height


def text_width(text: str, font: int) -> int:
    """Pixels the text takes in a font card's fixed-width font (CJK full, ASCII half width)."""
    return sum(font if ord(c) > 0x7F else font // 2 for c in text)


class HallBoard:
    """One board from a ``[[boards]]`` entry. ``show(lines)`` puts the lines on it.

    The serial port is held as a field (opened by :meth:`open`); every failure is a
    :class:`LedError` naming the board. A port that fails in use (an unplugged adapter) is
    closed at once, so the next :meth:`show` or :meth:`ping` opens it again.
    """

    def __init__(self, cfg, default_sim: Callable[[], object] | None = None,
                 reply_timeout: float = 1.0, encoding: str = "gbk"):
        self.cfg = cfg
        self.default_sim = default_sim
        self.reply_timeout = reply_timeout
        self.encoding = encoding
        self.port: serial.SerialBase | None = None
        self.last_answer = ""      # the board's last answer in words ("ACK (A0/00)", ...)
        self._lock = threading.Lock()
        if cfg.protocol == "plain" and cfg.address > 255:
            raise LedError(f"{self.name}: plain boards have addresses 1-255, not {cfg.address}")
        if cfg.protocol == "onbon-bx":
            try:
                onbon.x_field(cfg.width, cfg.series)
            except ValueError as e:
                raise LedError(f"{self.name}: {e}") from e

    @property
    def name(self) -> str:
        label = self.cfg.name or "LED board"
        return f"{label} {self.cfg.url} (address {self.cfg.address})"

    # -- connection --------------------------------------------------------------
    def open(self) -> "HallBoard":
        if self.port is None:
            try:
                self.port = open_serial(self.cfg.url, self.cfg.baud, timeout=0.05,
                                        default_sim=self.default_sim)
            except Exception as e:  # DeviceError, or anything the sim factory raised
                raise LedError(f"{self.name}: {e}") from e
        return self

    def close(self) -> None:
        with self._lock:
            self._drop_port()

    def _drop_port(self) -> None:
        port, self.port = self.port, None
        close_port(port)

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    # -- layout ------------------------------------------------------------------
    def areas(self, lines: list[str]) -> list[onbon.Area]:
        """One dynamic area per configured line, stacked; text that does not fit scrolls left."""
        n = self.cfg.lines
        lh = self.cfg.height // n
        font = font_size(lh)
        out = []
        for i in range(n):
            text = lines[i] if i < len(lines) else ""
            fits = text_width(text, font) <= self.cfg.width
            out.append(onbon.Area(
                area_id=i, x=0, y=i * lh, width=self.cfg.width, height=lh, text=text,
                show=onbon.SHOW_STATIC if fits else onbon.SHOW_LEFT,
                speed=0x04 if fits else 0x08, stay=10 if fits else 0))
        return out

    def frames(self, lines: list[str]) -> list[bytes]:
        """The bytes :meth:`show` sends for ``lines`` (pure; for tests and diagnostics)."""
        if self.cfg.protocol == "onbon-bx":
            return [onbon.dynamic_area_frame(self.cfg.address, self.areas(lines), encoding=self.encoding,
                                             series=self.cfg.series)]
        return [plain.set_line(self.cfg.address, i + 1, lines[i] if i < len(lines) else "", self.encoding)
                for i in range(self.cfg.lines)]

    # -- sending -----------------------------------------------------------------
    def show(self, lines: list[str]) -> None:
        """Put ``lines`` (top to bottom) on the board; LedError if it refuses or is silent."""
        self.open()
        with self._lock:
            for frame in self.frames(lines):
                self._exchange(frame)

    def ping(self) -> None:
        """Ask the board to answer (plain: P; Onbon: an A3/06 with no areas); LedError if not."""
        self.open()
        with self._lock:
            if self.cfg.protocol == "plain":
                self._exchange(plain.ping(self.cfg.address))
            else:
                self._exchange(onbon.wrap(onbon.build_packet(onbon.build_dynamic_command([]), self.cfg.address)))

    def _exchange(self, frame: bytes) -> None:
        port = self.port
        if port is None:
            raise LedError(f"{self.name}: not open")
        try:
            port.reset_input_buffer()
            traffic.debug("%s >> %s", self.cfg.url, frame.hex(" "))
            port.write(frame)
            port.flush()
        except PORT_ERRORS as e:
            raise self._port_failed("write", e) from e
        if self.cfg.protocol == "plain":
            if self.cfg.address == plain.BROADCAST:
                return
            self._plain_answer()
        else:
            self._onbon_answer()

    def _read_until(self, done: Callable[[bytes], bool]) -> bytes:
        """Read until ``done(new_chunk)`` is true or the reply timeout passes."""
        got = bytearray()
        deadline = time.monotonic() + self.reply_timeout
        while time.monotonic() < deadline:
            try:
                chunk = self.port.read(64)
            except PORT_ERRORS as e:
                raise self._port_failed("read", e) from e
            if chunk:
                got += chunk
                if done(chunk):
                    break
        traffic.debug("%s << %s", self.cfg.url, bytes(got).hex(" "))
        return bytes(got)

    def _port_failed(self, action: str, e: BaseException) -> LedError:
        """The port failed in use (unplugged, reset): close it so the next call reopens it."""
        self._drop_port()
        return LedError(f"{self.name}: 串口出错，转换器被拔下了？下次会自动重新打开 "
                        f"(the serial port failed on {action} ({port_error_text(e)}); "
                        "unplugged? it is reopened on the next try)")

    def _onbon_answer(self) -> None:
        """Judge the card's answer as Onbon's SDK does (``BxResp.isAck``): only A0/00 is success."""
        reader = onbon.FrameReader()
        got = self._read_until(lambda chunk: bool(reader.feed(chunk)))
        self.last_answer = ""
        if not got:
            raise LedError(f"{self.name}: 没有应答，检查 RS-485 接线、波特率 {self.cfg.baud} 和屏地址 {self.cfg.address} "
                           f"(no answer (check the RS-485 wiring, the baud rate "
                           f"{self.cfg.baud} and the screen address {self.cfg.address}))")
        try:
            answer = onbon.read_answer(got)
        except FrameError as e:
            raise LedError(f"{self.name}: 应答是乱码 (garbled answer ({e}))") from e
        self.last_answer = answer.describe()
        if answer.nack:
            raise LedError(f"{self.name}: 控制卡拒收 (the card refused the frame: {self.last_answer})")
        if not answer.ack:
            raise LedError(f"{self.name}: 意外的应答 (unexpected answer {self.last_answer})")

    def _plain_answer(self) -> None:
        got = bytearray()

        def feed(chunk: bytes) -> bool:
            got.extend(chunk)
            return len(got) >= 3 and (got[0] != plain.NAK or len(got) >= 4)
        answer = self._read_until(feed)
        if not answer:
            raise LedError(f"{self.name}: 没有应答，检查接线、波特率 {self.cfg.baud} 和屏地址 {self.cfg.address} "
                           f"(no answer (check the wiring, the baud rate {self.cfg.baud} "
                           f"and the board address {self.cfg.address}))")
        try:
            ok, _addr, reason = plain.parse_answer(answer)
        except FrameError as e:
            raise LedError(f"{self.name}: 应答是乱码 (garbled answer ({e}))") from e
        self.last_answer = "ACK" if ok else f"NAK ({reason})"
        if not ok:
            raise LedError(f"{self.name}: 条屏拒收这段文字 (the board refused the text ({reason}))")


def open_board(cfg, default_sim: Callable[[], object] | None = None, **kw) -> HallBoard:
    """A :class:`HallBoard` for a config ``Board`` entry, opened."""
    return HallBoard(cfg, default_sim=default_sim, **kw).open()
