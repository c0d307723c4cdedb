"""Raster mode: the whole ticket drawn with Pillow and a CJK TrueType font.

For printers without a Chinese font (or with an ugly one), and for a clean big number.
The image is black on white, exactly the paper's printable width in dots; the driver
sends it as GS v 0 bands. :func:`find_cjk_font` is shared with the simulator.
"""
from __future__ import annotations

import os
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont

from . import PrinterError
from .commands import QR_QUIET_ZONE, Paper, qr_module_dots
from .ticket import TicketContent

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


def find_cjk_font(configured: str = "") -> str:
    """The CJK font file to draw with: the configured one, else the first one installed."""
    if configured:
        if not os.path.exists(configured):
            raise PrinterError(f"printer font {configured} does not exist")
        return configured
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            return path
    raise PrinterError("no Chinese font found; install fonts-wqy-microhei or set printer.font")


@lru_cache(maxsize=64)
def font(path: str, px: int, index: int = 0) -> ImageFont.FreeTypeFont:
    """``index`` picks a face of a .ttc collection (WenQuanYi Micro Hei: 1 is the monospaced one)."""
    try:
        return ImageFont.truetype(path, px, index=index)
    except OSError:
        return ImageFont.truetype(path, px)


class _Sheet:
    """A growing column of centred or left-aligned blocks, ``width`` dots wide."""

    def __init__(self, width: int, font_path: str, margin: int = 8):
        self.width, self.font_path, self.margin = width, font_path, margin
        self.img = Image.new("L", (width, 4000), 255)
        self.draw = ImageDraw.Draw(self.img)
        self.y = 12

    def wrap(self, text: str, px: int) -> list[str]:
        f = font(self.font_path, px)
        limit = self.width - 2 * self.margin
        lines, cur = [], ""
        for ch in text:
            if f.getlength(cur + ch) > limit and cur:
                lines.append(cur)
                cur = "" if ch == " " else ch
            else:
                cur += ch
        return lines + [cur] if cur else lines

    def text(self, text: str, px: int, align: str = "center", bold: bool = False, gap: int = 6) -> None:
        f = font(self.font_path, px)
        for line in self.wrap(text, px):
            left, top, right, bottom = f.getbbox(line)
            w = right - left
            x = (self.width - w) // 2 - left if align == "center" else self.margin - left
            self.draw.text((x, self.y - top), line, font=f, fill=0,
                           stroke_width=max(1, px // 28) if bold else 0, stroke_fill=0)
            self.y += (bottom - top) + gap

    def fit_text(self, text: str, max_px: int, height_gap: int = 10) -> None:
        """One line as large as fits (the ticket number)."""
        px = max_px
        while px > 24 and font(self.font_path, px).getlength(text) > self.width - 2 * self.margin:
            px -= 4
        self.text(text, px, bold=True, gap=height_gap)

    def mark(self, text: str, px: int) -> None:
        """White text on a black band: priority, appointment, transfer marks."""
        f = font(self.font_path, px)
        left, top, right, bottom = f.getbbox(text)
        pad = px // 3
        w, h = right - left + 2 * pad, bottom - top + 2 * pad
        x0 = (self.width - w) // 2
        self.draw.rectangle((x0, self.y, x0 + w, self.y + h), fill=0)
        self.draw.text((x0 + pad - left, self.y + pad - top), text, font=f, fill=255)
        self.y += h + 10

    def rule(self) -> None:
        self.y += 4
        for x in range(self.margin, self.width - self.margin, 12):
            self.draw.line((x, self.y, x + 6, self.y), fill=0, width=2)
        self.y += 12

    def space(self, dots: int) -> None:
        self.y += dots

    def qr(self, content: str, box: int) -> None:
        """The symbol with its quiet zone (4 white modules on every side) drawn in."""
        box = qr_module_dots(content, box, self.width)
        q = qrcode.QRCode(border=QR_QUIET_ZONE, box_size=box, error_correction=qrcode.constants.ERROR_CORRECT_M)
        q.add_data(content)
        q.make(fit=True)
        img = q.make_image(fill_color="black", back_color="white").get_image().convert("L")
        self.img.paste(img, ((self.width - img.width) // 2, self.y))
        self.y += img.height + 6  # a thermal head bleeds a little: keep the text clear of the zone

    def finish(self) -> Image.Image:
        return self.img.crop((0, 0, self.width, self.y + 12)).point(lambda v: 0 if v < 128 else 255, "1")


def render_ticket(t: TicketContent, paper: Paper, font_path: str = "") -> Image.Image:
    """The ticket as a 1-bit image ``paper.dots`` wide."""
    s = _Sheet(paper.dots, find_cjk_font(font_path))
    # Text shrinks less than the paper (58 mm: ×0.82, not ×0.67): elderly citizens read it.
    scale = (paper.dots / 576) ** 0.5
    px = lambda n: max(18, int(n * scale))  # noqa: E731
    s.text(t.hall, px(34), bold=True)
    if t.hall_en:
        s.text(t.hall_en, px(20))
    s.rule()
    s.text(t.service, px(48), bold=True)
    if t.zone:
        s.text(t.zone, px(28))
    s.space(14)
    s.fit_text(t.number, int(200 * paper.dots / 576), height_gap=22)
    for mark in t.marks:
        s.mark(mark, px(30))
    s.text(t.ahead_text or f"您前面还有 {t.ahead} 人等候", px(32 if not t.ahead_text else 26), bold=not t.ahead_text)
    s.rule()
    s.text(f"取号时间：{t.issued}", px(28), align="left")
    if t.windows:
        s.text(f"办理窗口：{t.windows}", px(28), align="left")
    if t.qr:
        s.qr(t.qr, 6 if paper.dots >= 576 else 5)
    if t.notice:
        s.text(t.notice, px(28))
    if t.footer:
        s.text(t.footer, px(24))
    return s.finish()
