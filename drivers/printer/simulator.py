"""A thermal ticket printer simulator: answers DLE EOT, prints what it receives to PNG.

It interprets the ESC/POS subset the driver emits (text in font A 12×24 / Chinese
24×24, GS ! sizes, ESC a alignment, ESC E bold, FS & / FS . Chinese mode, GS ( k QR,
GS v 0 raster, ESC d feed, GS V cut). Without FS & bytes ≥ 0x80 print from code page
437, like a real printer, so garbled Chinese shows up garbled. Faults are scripted:
``set_status("paper_out")`` or ``fail_during_next_job(after_bytes=…)``.
Jobs received while the printer cannot print are kept in ``lost_jobs``, not ``jobs``.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageOps

from ..ptylink import SerialSimulator
from .commands import PAPERS
from .interpreter import EscPosParser, Op
from .raster import find_cjk_font, font
from .status import LEVELS, answers_for

log = logging.getLogger(__name__)

LINE_GAP = 6  # dots between 24-dot lines (ESC 2 default: 30-dot line pitch)


class PaperRenderer:
    """Turns parsed ops into a paper image, ``paper.dots`` wide. ``finish()`` returns the page."""

    def __init__(self, paper_mm: int = 80, encoding: str = "gbk", chinese_default: bool = False):
        self.dots = PAPERS[paper_mm].dots
        self.encoding = encoding
        self.chinese_default = chinese_default
        self.font_path = find_cjk_font()
        self._glyphs: dict[tuple, Image.Image] = {}
        self.reset_page()

    def reset_page(self) -> None:
        self.rows: list[Image.Image] = []
        self.init()

    def init(self) -> None:
        self.align, self.bold, self.w, self.h, self.reverse = 0, False, 1, 1, False
        self.cn = self.chinese_default
        self.qr_module, self.qr_data = 3, b""
        self.cells: list[tuple[Image.Image, int]] = []  # (cell image, height multiplier) of this line
        self.pending = b""

    # -- text ---------------------------------------------------------------------
    def _flush_text(self) -> None:
        if not self.pending:
            return
        data, self.pending = self.pending, b""
        if self.cn:
            for ch in data.decode(self.encoding, errors="replace"):
                self._cell(ch, 12 if ord(ch) < 0x80 else 24)
        else:
            for ch in data.decode("cp437", errors="replace"):
                self._cell(ch, 12)

    def _glyph(self, ch: str, width: int, bold: bool) -> Image.Image:
        key = (ch, width, bold)
        img = self._glyphs.get(key)
        if img is None:
            img = Image.new("L", (width, 24), 255)
            if ch.strip():
                # half-width characters from the monospaced face (12 dots wide at 20 px)
                f = font(self.font_path, 20, 1) if width == 12 else font(self.font_path, 22)
                x = (width - f.getlength(ch)) / 2
                ImageDraw.Draw(img).text((x, 20), ch, font=f, anchor="ls", fill=0,
                                         stroke_width=1 if bold else 0, stroke_fill=0)
            self._glyphs[key] = img
        return img

    def _cell(self, ch: str, width: int) -> None:
        img = self._glyph(ch, width, self.bold)
        if self.w != 1 or self.h != 1:
            img = img.resize((width * self.w, 24 * self.h), Image.NEAREST)
        if self.reverse:
            img = ImageOps.invert(img)
        self.cells.append((img, self.h))

    def _print_line(self, empty_feeds: bool = True) -> None:
        self._flush_text()
        if not self.cells:
            if empty_feeds:
                self._blank(24 + LINE_GAP)
            return
        lines, cur, used = [], [], 0
        for img, h in self.cells:  # the printer wraps at the paper's edge
            if used + img.width > self.dots and cur:
                lines.append(cur)
                cur, used = [], 0
            cur.append(img)
            used += img.width
        lines.append(cur)
        self.cells = []
        for cells in lines:
            height = max(c.height for c in cells)
            row = Image.new("L", (self.dots, height + LINE_GAP), 255)
            x = self._x(sum(c.width for c in cells))
            for c in cells:
                row.paste(c, (x, height - c.height))
                x += c.width
            self.rows.append(row)

    def _x(self, width: int) -> int:
        return {0: 0, 1: (self.dots - width) // 2, 2: self.dots - width}.get(self.align, 0) if width < self.dots else 0

    def _blank(self, dots: int) -> None:
        if dots > 0:
            self.rows.append(Image.new("L", (self.dots, dots), 255))

    def _block(self, img: Image.Image) -> None:
        self._print_line(empty_feeds=False)
        row = Image.new("L", (self.dots, img.height), 255)
        row.paste(img.crop((0, 0, min(img.width, self.dots), img.height)), (self._x(img.width), 0))
        self.rows.append(row)

    # -- ops ----------------------------------------------------------------------
    def apply(self, op: Op) -> None:
        n = op.name
        if n == "text":
            self.pending += op.data
            return
        if n in ("bold", "size", "reverse", "cn_on", "cn_off", "mode", "init"):
            self._flush_text()
        if n == "lf":
            self._print_line()
        elif n == "init":
            self._print_line(empty_feeds=False)
            self.init()
        elif n == "align":
            self.align = op.args[0] % 48 if op.args[0] >= 48 else op.args[0]
        elif n == "bold":
            self.bold = bool(op.args[0] & 1)
        elif n == "mode":  # ESC !: bit 3 bold, bit 4 double height, bit 5 double width
            m = op.args[0]
            self.bold, self.h, self.w = bool(m & 0x08), 2 if m & 0x10 else 1, 2 if m & 0x20 else 1
        elif n == "size":
            self.w, self.h = (op.args[0] >> 4 & 7) + 1, (op.args[0] & 7) + 1
        elif n == "reverse":
            self.reverse = bool(op.args[0] & 1)
        elif n == "cn_on":
            self.cn = True
        elif n == "cn_off":
            self.cn = False
        elif n == "feed":
            self._print_line(empty_feeds=False)
            self._blank(op.args[0] * (24 + LINE_GAP))
        elif n == "feed_dots":
            self._print_line(empty_feeds=False)
            self._blank(op.args[0])
        elif n == "qr_size":
            self.qr_module = max(1, min(op.args[0], 16))
        elif n == "qr_store":
            self.qr_data = op.data
        elif n == "qr_print" and self.qr_data:
            q = qrcode.QRCode(border=0, box_size=self.qr_module, error_correction=qrcode.constants.ERROR_CORRECT_M)
            q.add_data(self.qr_data.decode("utf-8", errors="replace"))
            q.make(fit=True)
            self._block(q.make_image().get_image().convert("L"))  # the bare symbol: no quiet zone, no gap
        elif n == "raster":
            xl, xh, yl, yh = op.args[1:5]
            width, height = (xl | xh << 8) * 8, yl | yh << 8
            bits = Image.frombytes("1", (width, height), op.data)
            self._block(ImageOps.invert(bits.convert("L")))  # ESC/POS: 1 = black dot

    def finish(self) -> Image.Image:
        """The page so far (call on cut), then a fresh page."""
        self._print_line(empty_feeds=False)
        height = sum(r.height for r in self.rows) or 1
        page = Image.new("L", (self.dots, height), 255)
        y = 0
        for r in self.rows:
            page.paste(r, (0, y))
            y += r.height
        self.rows = []
        return page.point(lambda v: 0 if v < 128 else 255, "1")  # a thermal head has no grey


class PrinterSimulator(SerialSimulator):
    """A ticket printer on a pty (``sim://NAME``), or fed directly with :meth:`feed`.

    ``jobs``: the bytes of each printed job (from after the previous cut up to its cut,
    status queries left out); ``images`` and ``pngs``: what each looked like on paper.
    """

    def __init__(self, output_dir: str | Path | None = None, paper_mm: int = 80, encoding: str = "gbk",
                 name: str = "printer-sim", chinese_default: bool = False):
        super().__init__()
        self.name = name
        self.output_dir = Path(output_dir) if output_dir else None
        self.paper_mm, self.encoding = paper_mm, encoding
        self.parser = EscPosParser()
        self.renderer = PaperRenderer(paper_mm, encoding, chinese_default)
        self.level, self.cause = "ok", ""
        self.jobs: list[bytes] = []
        self.images: list[Image.Image] = []
        self.pngs: list[Path] = []
        self.lost_jobs: list[bytes] = []
        self.status_queries = 0
        self._job = bytearray()
        self._job_lost = False
        self._fail: tuple[int, str] | None = None
        self._cond = threading.Condition()

    # -- scripting ------------------------------------------------------------------
    def set_status(self, level: str, cause: str = "") -> None:
        """ok | near_end | paper_out | cover_open | offline (no answer at all);
        offline with cause cutter | overheat | fatal answers with that error."""
        if level not in LEVELS:
            raise ValueError(f"unknown status {level!r}; one of {', '.join(LEVELS)}")
        answers_for(level, cause)  # validates the cause
        with self._cond:
            self.level, self.cause = level, cause

    @property
    def status(self) -> str:
        return self.level

    def fail_during_next_job(self, after_bytes: int = 64, level: str = "paper_out") -> None:
        """The paper runs out (or ``level``) after ``after_bytes`` bytes of the next job."""
        with self._cond:
            self._fail = (after_bytes, level)

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` jobs (printed or lost) arrived; False on time-out."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.jobs) + len(self.lost_jobs) >= count, timeout)

    # -- bytes in -------------------------------------------------------------------
    def on_bytes(self, data: bytes) -> None:
        reply = self.feed(data)
        if reply:
            self.send(reply)

    def feed(self, data: bytes) -> bytes:
        """Process bytes from the host; returns the status answers to send back."""
        reply = bytearray()
        with self._cond:
            for op in self.parser.feed(data):
                if op.name == "status":
                    self.status_queries += 1
                    answer = answers_for(self.level, self.cause).get(op.args[0])
                    if answer is not None:
                        reply.append(answer)
                    continue
                if op.name == "realtime":
                    continue
                self._job += op.raw
                if self._fail and len(self._job) >= self._fail[0]:
                    self.level, self.cause, self._fail = self._fail[1], "", None
                if self.level not in ("ok", "near_end"):
                    self._job_lost = True
                if not self._job_lost:
                    self.renderer.apply(op)
                if op.name == "cut":
                    self._end_job()
        return bytes(reply)

    def _end_job(self) -> None:
        job, self._job = bytes(self._job), bytearray()
        page = self.renderer.finish()
        self.renderer.init()
        if self._job_lost:
            self._job_lost = False
            self.lost_jobs.append(job)
            log.info("%s: job of %d bytes lost (%s)", self.name, len(job), self.level)
        else:
            self.jobs.append(job)
            self.images.append(page)
            if self.output_dir is not None:
                self.output_dir.mkdir(parents=True, exist_ok=True)
                path = self.output_dir / f"{datetime.now():%Y%m%d-%H%M%S}-{len(self.jobs):04d}.png"
                page.save(path)
                self.pngs.append(path)
        self._cond.notify_all()
