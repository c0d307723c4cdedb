"""A simulated LED hall board on a pty: decodes the real frames and keeps what it shows.

Onbon: unescapes, checks the CRC, decodes the A3/06 areas as a card of its series reads
them (X and width: 8-pixel units on BX-5K, pixels on BX-6K) and answers as a card does,
ACK ``A0 00`` or NACK ``A0 01 error`` (Onbon's SDK: ``BxCmdCode``, ``BxResp``), addressed
back to the host. Plain: checks the XOR, answers ACK/NAK. Garbled frames are counted in
``garbled`` and dropped, as a board would.
"""
from __future__ import annotations

import logging
import threading
import time

from drivers.ptylink import SerialSimulator

from . import FrameError, onbon, plain

log = logging.getLogger(__name__)

# The device type the simulated card puts in its answers: BX-5K1 and BX-6K1 (Led5kSDK.h).
DEVICE_TYPES = {"5K": 0x51, "6K": 0x61}


class BoardSimulator(SerialSimulator):
    """What a board shows: ``lines`` (top to bottom), ``areas`` (Onbon, by area id), ``history``.

    Faults a test can set: ``silent = True`` stops it answering (a cut cable);
    ``nack_error = N`` makes an Onbon card refuse every frame with NACK error byte N
    (``A0 01 N 00 00``) and show nothing new; ``raw_answer = b"..."`` sends those bytes
    instead of the card's answer (garbage on the line). ``ignored_widths`` counts areas
    whose width a BX-5K card ignored (sent in pixels with bit 15; decoded as 0).
    """

    name = "led-board-sim"

    def __init__(self, protocol: str = "onbon-bx", address: int = 1, lines: int = 2,
                 encoding: str = "gbk", series: str = onbon.DEFAULT_SERIES):
        super().__init__()
        if protocol not in ("onbon-bx", "plain"):
            raise ValueError(f"unknown board protocol {protocol!r}")
        self.protocol = protocol
        self.address = address
        self.encoding = encoding
        self.series = onbon.check_series(series)
        self.lines: list[str] = [""] * lines
        self.areas: dict[int, onbon.Area] = {}
        self.history: list[tuple[str, ...]] = []
        self.frames = 0
        self.garbled = 0
        self.ignored_widths = 0
        self.silent = False
        self.nack_error: int | None = None
        self.raw_answer: bytes | None = None
        self._cond = threading.Condition()
        self._reader = onbon.FrameReader() if protocol == "onbon-bx" else plain.FrameReader()

    @classmethod
    def for_board(cls, board) -> "BoardSimulator":
        """The simulator of a config ``[[boards]]`` entry: its protocol, address, lines and series."""
        return cls(board.protocol, board.address, board.lines, series=board.series)

    # -- test helpers --------------------------------------------------------------
    def wait_for(self, predicate, timeout: float = 5.0) -> bool:
        """Wait until ``predicate(self)`` holds (re-checked on every frame and every 50 ms)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    @property
    def stray(self) -> int:
        return self._reader.stray

    # -- the device ------------------------------------------------------------------
    def on_bytes(self, data: bytes) -> None:
        for frame in self._reader.feed(data):
            try:
                if self.protocol == "onbon-bx":
                    self._onbon(frame)
                else:
                    self._plain(frame)
            except FrameError as e:
                self.garbled += 1
                log.info("board simulator dropped a frame: %s", e)
            with self._cond:
                self._cond.notify_all()

    def _onbon(self, body: bytes) -> None:
        packet = onbon.parse_packet(body)
        if packet.dst not in (self.address, onbon.BROADCAST, 0xFFFF):
            return
        update = onbon.parse_dynamic_command(packet.data, self.encoding, self.series)
        with self._cond:
            self.frames += 1
            if self.nack_error is None:
                self._apply(update)
        if update.reply and not self.silent:
            if self.raw_answer is not None:
                self.send(self.raw_answer)
            else:
                self.send(onbon.answer_frame(packet.src, self.address, self.nack_error,
                                             DEVICE_TYPES[self.series]))

    def _apply(self, update: onbon.DynamicUpdate) -> None:
        for area_id in update.deleted:
            self.areas.pop(area_id, None)
        for area in update.areas:
            self.areas[area.area_id] = area
        if update.areas:
            self.ignored_widths += sum(a.width == 0 for a in update.areas)
            shown = [a.text for a in sorted(self.areas.values(), key=lambda a: (a.y, a.x))]
            self.lines = shown + [""] * (len(self.lines) - len(shown))
            self.history.append(tuple(self.lines))

    def _plain(self, frame: bytes) -> None:
        try:
            cmd = plain.parse_frame(frame, self.encoding)
        except FrameError:
            if not self.silent and len(frame) > 3:
                try:
                    self.send(plain.nak(int(frame[1:3].decode("ascii"), 16), "K"))
                except ValueError:
                    pass
            raise
        if cmd.address not in (self.address, plain.BROADCAST):
            return
        answer = plain.ack(self.address)
        with self._cond:
            self.frames += 1
            if cmd.command == "L" and cmd.line <= len(self.lines):
                self.lines[cmd.line - 1] = cmd.text
                self.history.append(tuple(self.lines))
            elif cmd.command == "L" or cmd.command == "L?":
                answer = plain.nak(self.address, "L")
            elif cmd.command == "C":
                self.lines = [""] * len(self.lines)
                self.history.append(tuple(self.lines))
            elif cmd.command != "P":
                answer = plain.nak(self.address, "C")
        if cmd.address != plain.BROADCAST and not self.silent:
            self.send(answer)
