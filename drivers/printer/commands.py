"""ESC/POS commands over one send function, with Chinese text sent the safe way.

python-escpos builds the command bytes (sizes, alignment, QR, raster image, cut) on a
byte-recording :class:`escpos.printer.Dummy`; this class forwards them to ``send``.
Text never goes through escpos's magic encoder, which switches code pages (ESC t) in
the middle of a line and garbles Chinese: a line with any non-ASCII character goes out
as ``FS &`` (Chinese character mode on), the whole line encoded in GBK / GB18030 /
Big5, then ``FS .`` (off). In Chinese mode ASCII bytes still print as ASCII, so a
mixed line like ``No. A023 ￥5 请到5号窗口`` needs no mode switch inside it.
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Callable

from escpos.printer import Dummy

log = logging.getLogger(__name__)

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CN_ON = FS + b"&"
CN_OFF = FS + b"."
LF = b"\n"

ENCODINGS = ("gbk", "gb18030", "big5")

# Characters a GBK/Big5 printer font lacks, printed as their nearest full-width form.
_SUBSTITUTES = {"¥": "￥", "•": "·", "€": "EUR", "–": "-", "\u00a0": " "}


@dataclass(frozen=True)
class Paper:
    """A paper width as the printer sees it: printable dots and font-A columns (12 dots)."""

    mm: int
    dots: int

    @property
    def columns(self) -> int:
        return self.dots // 12


PAPERS = {58: Paper(58, 384), 80: Paper(80, 576)}

LINE_PITCH_DOTS = 30  # ESC 2, the default line spacing: a 24-dot line and 6 dots between lines
QR_QUIET_ZONE = 4     # ISO/IEC 18004: a light margin of 4 modules on every side of a QR symbol


def qr_modules(content: str) -> int:
    """Modules on a side of ``content``'s QR symbol (model 2, level M, the smallest version)."""
    import qrcode
    q = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    q.add_data(content)
    q.make(fit=True)
    return q.modules_count


def qr_module_dots(content: str, preferred: int, width_dots: int) -> int:
    """Dots per module: ``preferred``, or less when the symbol and its quiet zone on both
    sides would not fit ``width_dots``."""
    return max(1, min(preferred, width_dots // (qr_modules(content) + 2 * QR_QUIET_ZONE)))


def qr_quiet_lines(module: int) -> int:
    """Line feeds (ESC d) that leave at least the quiet zone of a symbol of ``module``-dot modules."""
    return -(-QR_QUIET_ZONE * module // LINE_PITCH_DOTS)


def encode_text(text: str, encoding: str = "gbk") -> bytes:
    """``text`` as printer bytes; characters the code table lacks become ``?`` (logged)."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported printer encoding {encoding!r} (use one of {', '.join(ENCODINGS)})")
    out = bytearray()
    for ch in text:
        ch = _SUBSTITUTES.get(ch, ch)
        try:
            out += ch.encode(encoding)
        except UnicodeEncodeError:
            log.warning("character %r (U+%04X) has no %s code; printed as ?", ch, ord(ch[0]), encoding)
            out += b"?"
    return bytes(out)


def char_columns(ch: str, encoding: str = "gbk") -> int:
    """Columns a character takes in font A: 2 for double-byte (Chinese) characters, else 1."""
    if ord(ch) < 0x80:
        return 1
    return 2 if len(encode_text(ch, encoding)) >= 2 else 1


def text_columns(text: str, encoding: str = "gbk") -> int:
    return sum(char_columns(ch, encoding) for ch in text)


def text_line(text: str, encoding: str = "gbk") -> bytes:
    """One printed line: plain ASCII as is, anything else inside FS & … FS .; ends with LF."""
    if text.isascii():
        return text.encode("ascii") + LF
    return CN_ON + encode_text(text, encoding) + CN_OFF + LF


def wrap(text: str, columns: int, encoding: str = "gbk") -> list[str]:
    """Split ``text`` into lines of at most ``columns`` font-A columns.

    Chinese breaks between any two characters; a Latin word moves whole to the next line
    unless it is longer than a line.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if text_columns(line + ch, encoding) <= columns or not line:
                line += ch
                continue
            cut = line.rfind(" ")
            if ch != " " and ch.isascii() and line[-1:].isascii() and cut > 0:
                lines.append(line[:cut].rstrip())
                line = line[cut + 1:] + ch
            else:
                lines.append(line.rstrip())
                line = "" if ch == " " else ch
        lines.append(line.rstrip())
    return lines


class EscPosCommands:
    """A command builder: every method turns into bytes handed to ``send``.

    >>> out = bytearray(); c = EscPosCommands(out.extend); c.init(); c.line("请到5号窗口")
    """

    def __init__(self, send: Callable[[bytes], None], encoding: str = "gbk", paper: Paper = PAPERS[80]):
        if encoding not in ENCODINGS:
            raise ValueError(f"unsupported printer encoding {encoding!r}")
        self.send = send
        self.encoding = encoding
        self.paper = paper
        self._dummy = Dummy()
        # Give escpos the paper width (its default profile has none and prints a warning on stdout).
        data = copy.deepcopy(self._dummy.profile.profile_data)
        data["media"]["width"] = {"mm": paper.mm, "pixels": paper.dots}
        self._dummy.profile.profile_data = data

    def _via_escpos(self, fn: Callable[[Dummy], None]) -> None:
        self._dummy.clear()
        fn(self._dummy)
        self.send(self._dummy.output)

    # -- modes ------------------------------------------------------------------
    def init(self) -> None:
        """ESC @: reset modes; the printer keeps its buffer and paper."""
        self.send(INIT)

    def style(self, align: str | None = None, bold: bool | None = None,
              width: int | None = None, height: int | None = None) -> None:
        """Alignment (left/center/right), bold, character size 1-8 × 1-8 (GS !)."""
        kw: dict = {}
        if align is not None:
            kw["align"] = align
        if bold is not None:
            kw["bold"] = bold
        if width is not None or height is not None:
            kw.update(custom_size=True, width=width or 1, height=height or 1)
        if kw:
            self._via_escpos(lambda d: d.set(**kw))

    def normal(self) -> None:
        """Left aligned, not bold, 1×1."""
        self.style(align="left", bold=False, width=1, height=1)

    # -- text -------------------------------------------------------------------
    def line(self, text: str = "") -> None:
        """Print one line (no wrapping; see :meth:`lines`)."""
        self.send(text_line(text, self.encoding))

    def text(self, text: str) -> None:
        """Part of a line, without LF (for size changes within a line)."""
        if text.isascii():
            self.send(text.encode("ascii"))
        else:
            self.send(CN_ON + encode_text(text, self.encoding) + CN_OFF)

    def lines(self, text: str, width: int = 1) -> None:
        """Print ``text`` wrapped to the paper at character width ``width``."""
        for ln in wrap(text, max(1, self.paper.columns // width), self.encoding):
            self.line(ln)

    def rule(self, char: str = "-") -> None:
        self.line(char * self.paper.columns)

    def feed(self, lines: int = 1) -> None:
        """ESC d n: print and feed ``lines`` lines."""
        self.send(ESC + b"d" + bytes([max(0, min(lines, 255))]))

    # -- graphics ---------------------------------------------------------------
    def qr(self, content: str, module: int = 6) -> None:
        """The printer's own QR code (GS ( k): model 2, error level M, ``module`` dots per module."""
        from escpos.constants import QR_ECLEVEL_M
        self._via_escpos(lambda d: d.qr(content, ec=QR_ECLEVEL_M, size=module, native=True))

    def image(self, img) -> None:
        """A 1-bit raster image (GS v 0), split in bands of at most 960 dot rows."""
        if img.width > self.paper.dots:
            raise ValueError(f"image is {img.width} dots wide; the paper has {self.paper.dots}")
        self._via_escpos(lambda d: d.image(img, impl="bitImageRaster", fragment_height=960))

    def cut(self) -> None:
        """Feed past the cutter and cut (ESC d 6, GS V 0)."""
        self._via_escpos(lambda d: d.cut(mode="FULL", feed=True))
