"""A streaming parser of the ESC/POS subset a ticket printer receives (used by the simulator).

Bytes go in as they arrive; complete commands come out as :class:`Op` records, each
with its raw bytes. Commands with a length (GS ( k, GS v 0, ESC *) are skipped whole, so
bytes inside image data are never mistaken for a status query. An unknown command is
counted in ``garbled`` and skipped by its two command bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
MAX_DATA = 4 * 1024 * 1024


@dataclass(frozen=True)
class Op:
    """One command: ``name`` (text, lf, init, align, bold, size, cn_on, cn_off, feed, feed_dots,
    reverse, qr_model, qr_size, qr_ec, qr_store, qr_print, raster, cut, status, realtime, other),
    integer ``args``, ``data`` (text bytes, QR content, raster bits) and ``raw`` bytes."""

    name: str
    args: tuple = ()
    data: bytes = b""
    raw: bytes = b""


_ESC_ONE_ARG = {ord("a"): "align", ord("E"): "bold", ord("!"): "mode", ord("d"): "feed",
                ord("J"): "feed_dots", ord("M"): "font", ord("-"): "underline", ord("3"): "spacing",
                ord("t"): "codepage", ord("G"): "double_strike", ord("R"): "charset", ord("{"): "upside_down",
                ord("V"): "rotate", ord("U"): "other", ord("c"): "other", ord("r"): "other", ord("e"): "other"}
_GS_ONE_ARG = {ord("!"): "size", ord("B"): "reverse", ord("H"): "other", ord("f"): "other", ord("h"): "other",
               ord("w"): "other", ord("a"): "other", ord("r"): "other", ord("I"): "other", ord("b"): "other"}
_FS_ONE_ARG = {ord("!"): "cn_mode", ord("-"): "other", ord("W"): "other", ord("C"): "other", ord("S"): "other"}
_QR_FN = {65: "qr_model", 67: "qr_size", 69: "qr_ec", 80: "qr_store", 81: "qr_print"}


class EscPosParser:
    """Feed bytes, get complete :class:`Op`s; an incomplete command waits for more bytes."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.garbled = 0

    def feed(self, data: bytes) -> list[Op]:
        self.buf += data
        ops: list[Op] = []
        i = 0
        while i < len(self.buf):
            res = self._one(i)
            if res is None:  # incomplete
                break
            op, i = res
            if op is not None:
                ops.append(op)
        del self.buf[:i]
        return ops

    def _one(self, i: int) -> tuple[Op | None, int] | None:
        b = self.buf
        c = b[i]
        if c >= 0x20:
            j = i
            while j < len(b) and b[j] >= 0x20:
                j += 1
            return Op("text", data=bytes(b[i:j]), raw=bytes(b[i:j])), j
        if c in (0x0A, 0x0C):
            return Op("lf", raw=bytes([c])), i + 1
        if c == 0x09:
            return Op("text", data=b"    ", raw=b"\t"), i + 1
        if c in (ESC, GS, FS, DLE):
            if i + 1 >= len(b):
                return None
            return {ESC: self._esc, GS: self._gs, FS: self._fs, DLE: self._dle}[c](i)
        return None, i + 1  # other control bytes (CR, NUL …) do nothing

    def _take(self, i: int, n: int, name: str, *args_at: int, data: slice | None = None):
        if i + n > len(self.buf):
            return None
        raw = bytes(self.buf[i:i + n])
        args = tuple(raw[k] for k in args_at)
        return Op(name, args, raw[data] if data else b"", raw), i + n

    def _bad(self, i: int):
        self.garbled += 1
        return Op("other", raw=bytes(self.buf[i:i + 2])), i + 2

    def _esc(self, i: int):
        cmd = self.buf[i + 1]
        if cmd == ord("@"):
            return self._take(i, 2, "init")
        if cmd == ord("2"):
            return self._take(i, 2, "spacing_default")
        if cmd in _ESC_ONE_ARG:
            return self._take(i, 3, _ESC_ONE_ARG[cmd], 2)
        if cmd == ord("p"):
            return self._take(i, 5, "drawer")
        if cmd == ord("*"):
            if i + 5 > len(self.buf):
                return None
            m, n = self.buf[i + 2], self.buf[i + 3] | self.buf[i + 4] << 8
            return self._take(i, 5 + n * (3 if m >= 32 else 1), "column_image")
        return self._bad(i)

    def _gs(self, i: int):
        b = self.buf
        cmd = b[i + 1]
        if cmd in _GS_ONE_ARG:
            return self._take(i, 3, _GS_ONE_ARG[cmd], 2)
        if cmd == ord("V"):
            if i + 3 > len(b):
                return None
            return self._take(i, 4 if b[i + 2] in (65, 66) else 3, "cut", 2)
        if cmd in (ord("L"), ord("W")):
            return self._take(i, 4, "other")
        if cmd == ord("("):
            if i + 5 > len(b):
                return None
            n = b[i + 3] | b[i + 4] << 8
            if n > MAX_DATA:
                return self._bad(i)
            if i + 5 + n > len(b):
                return None
            raw = bytes(b[i:i + 5 + n])
            if b[i + 2] == ord("k") and n >= 3 and raw[5] == 49 and raw[6] in _QR_FN:
                name = _QR_FN[raw[6]]
                if name == "qr_store":
                    return Op(name, data=raw[8:], raw=raw), i + 5 + n
                return Op(name, (raw[7] if n >= 3 else 0,), raw=raw), i + 5 + n
            return Op("other", raw=raw), i + 5 + n
        if cmd == ord("v"):
            if i + 8 > len(b):
                return None
            xb, h = b[i + 4] | b[i + 5] << 8, b[i + 6] | b[i + 7] << 8
            if xb * h > MAX_DATA:
                return self._bad(i)
            return self._take(i, 8 + xb * h, "raster", 3, 4, 5, 6, 7, data=slice(8, None))
        if cmd == ord("k"):
            if i + 3 > len(b):
                return None
            m = b[i + 2]
            if m <= 6:
                end = b.find(b"\x00", i + 3)
                return None if end < 0 else (Op("other", raw=bytes(b[i:end + 1])), end + 1)
            if i + 4 > len(b):
                return None
            return self._take(i, 4 + b[i + 3], "other")
        return self._bad(i)

    def _fs(self, i: int):
        cmd = self.buf[i + 1]
        if cmd == ord("&"):
            return self._take(i, 2, "cn_on")
        if cmd == ord("."):
            return self._take(i, 2, "cn_off")
        if cmd in _FS_ONE_ARG:
            return self._take(i, 3, _FS_ONE_ARG[cmd], 2)
        if cmd == ord("p"):
            return self._take(i, 4, "other")
        return self._bad(i)

    def _dle(self, i: int):
        cmd = self.buf[i + 1]
        if cmd == 0x04:
            return self._take(i, 3, "status", 2)
        if cmd in (0x05, 0x14):
            return self._take(i, 3 if cmd == 0x05 else 5, "realtime")
        return self._bad(i)
