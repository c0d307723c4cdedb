"""The hall screen: a full-screen Qt widget for a TV, drawn from a :class:`ScreenModel`.

Everything is painted with QPainter in units of the window height (1 unit = 1 px at
1080 lines), so the same layout fills 1920x1080 and 3840x2160 alike. Sizes were
chosen to be read from 10 m: the called number about 26 % of the screen height, every
other text at least 3.5 % (38 px at 1080p, about 3 cm on a 65" TV).

Layout, top to bottom: header (hall, date, time) · the highlighted call (flashing while
new) beside the window grid · the last calls · waiting per zone · a scrolling notice.
"""
from __future__ import annotations

import logging
import math
import time

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from .screen_model import ScreenModel, ScreenState

log = logging.getLogger(__name__)

FONT_FAMILIES = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC",
                 "Microsoft YaHei", "PingFang SC", "sans-serif"]
WEEKDAYS = "一二三四五六日"

BG = QColor("#0a1a33")
PANEL = QColor("#132a4d")
LINE = QColor("#2b4a78")
WHITE = QColor("#ffffff")
SOFT = QColor("#c9d6ea")
YELLOW = QColor("#ffd21f")
GREEN = QColor("#5ef08a")
ORANGE = QColor("#ffa43a")
GREY = QColor("#8a97ab")
FLASH = QColor("#c8102e")
HEADER = QColor("#0f3d7a")
MIN_CELL = (220, 118)   # smallest window cell, in 1080p units
MIN_ZONE = 200          # narrowest zone cell
CELL = QColor("#1c3a66")
CELL_OFF = QColor("#2a2f3a")


class HallScreen(QWidget):
    """The TV screen. ``model.update()`` runs every ``poll_ms``; painting follows the model."""

    def __init__(self, model: ScreenModel, poll_ms: int = 200, ticker_px_per_s: float = 120.0,
                 windows: set[int] | None = None, page_seconds: float = 8.0, parent=None):
        super().__init__(parent)
        self.model = model
        self.only_windows = set(windows) if windows else None
        self.page_seconds = page_seconds
        self._page = 0
        self._page_started = time.monotonic()
        self.setWindowTitle(f"{model.config.hall.name} 叫号大屏")
        self.setMinimumSize(640, 360)
        self.setCursor(Qt.BlankCursor)
        self.state: ScreenState = model.state()
        self.flash_on = True
        self.ticker_offset: float | None = None   # starts with the notice at the left edge
        self.ticker_speed = ticker_px_per_s   # in 1080p units per second
        self._last_second = -1
        self._strip: QImage | None = None
        self._strip_key: tuple | None = None
        self._poll = QTimer(self)
        self._poll.timeout.connect(self.refresh)
        self._poll.start(poll_ms)
        self._blink = QTimer(self)
        self._blink.timeout.connect(self._toggle_flash)
        self._blink.start(500)
        self._scroll = QTimer(self)
        self._scroll.timeout.connect(self._advance_ticker)
        self._scroll.start(40)

    # -- driving ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Poll the model; repaint when it changed or the clock's second moved."""
        try:
            changed = self.model.update()
        except Exception:  # noqa: BLE001 - a locked database must not kill the TV
            log.exception("hall screen: update failed")
            return
        state = self.model.state()
        second = state.now.second
        if time.monotonic() - self._page_started >= self.page_seconds:
            self._page += 1
            self._page_started = time.monotonic()
            self.update(self._windows_rect().united(self._zones_rect()).toAlignedRect())
        if (changed or state.flashing != self.state.flashing or state.link_down != self.state.link_down
                or state.notice != self.state.notice):
            self.state = state
            self._last_second = second
            self.update()
        elif second != self._last_second:       # only the clock moved: repaint the header
            self.state = state
            self._last_second = second
            self.update(self._header_rect().toAlignedRect())

    def _toggle_flash(self) -> None:
        if self.state.flashing:
            self.flash_on = not self.flash_on
            self.update(self._highlight_rect().toAlignedRect())
        elif not self.flash_on:
            self.flash_on = True
            self.update()

    def _advance_ticker(self) -> None:
        if self.ticker_offset is None:
            return
        self.ticker_offset += self.ticker_speed * 0.04 * self.u
        self.update(self._ticker_rect().toAlignedRect())

    # -- geometry ----------------------------------------------------------------------
    @property
    def u(self) -> float:
        """One layout unit: 1 px at 1080 lines."""
        return min(self.height() / 1080.0, self.width() / 1920.0 * 1.15)

    def _cols(self) -> tuple[float, float]:
        w = self.width()
        return w * 0.585, w * 0.415

    def _header_rect(self) -> QRectF:
        return QRectF(0, 0, self.width(), 104 * self.u)

    def _highlight_rect(self) -> QRectF:
        u = self.u
        left, _ = self._cols()
        return QRectF(24 * u, 120 * u, left - 36 * u, 452 * u)

    def _recent_rect(self) -> QRectF:
        u = self.u
        left, _ = self._cols()
        top = 586 * u
        return QRectF(24 * u, top, left - 36 * u, self._zones_rect().top() - top - 14 * u)

    def _windows_rect(self) -> QRectF:
        u = self.u
        left, right = self._cols()
        top = 120 * u
        return QRectF(left + 12 * u, top, right - 36 * u, self._zones_rect().top() - top - 14 * u)

    def _ticker_rect(self) -> QRectF:
        u = self.u
        return QRectF(0, self.height() - 76 * u, self.width(), 76 * u)

    def _zones_rect(self) -> QRectF:
        u = self.u
        bottom = self._ticker_rect().top()
        return QRectF(24 * u, bottom - 132 * u, self.width() - 48 * u, 122 * u)

    # -- painting helpers ------------------------------------------------------------------
    def make_font(self, px: float, bold: bool = False) -> QFont:
        f = QFont()
        f.setFamilies(FONT_FAMILIES)
        f.setPixelSize(max(6, int(px)))
        f.setBold(bold)
        return f

    def fitted(self, text: str, px: float, width: float, bold: bool = False) -> QFont:
        """The font of ``px`` pixels, shrunk until ``text`` fits in ``width``."""
        f = self.make_font(px, bold)
        advance = QFontMetricsF(f).horizontalAdvance(text)
        if advance > width > 0:
            f.setPixelSize(max(6, int(px * width / advance * 0.98)))
        return f

    def draw_text(self, p: QPainter, rect: QRectF, text: str, px: float, color: QColor,
                  bold: bool = False, align=Qt.AlignCenter) -> None:
        """Text fitted into ``rect``. Bold is drawn as an outlined path: the CJK font has no
        bold face, and Qt's synthetic bold disappears above ~64 px (4K screens)."""
        if not text:
            return
        f = self.fitted(text, px, rect.width() - (0.06 * px if bold else 0), False)
        fm = QFontMetricsF(f)
        advance = fm.horizontalAdvance(text)
        if align & Qt.AlignLeft:
            x = rect.left()
        elif align & Qt.AlignRight:
            x = rect.right() - advance
        else:
            x = rect.center().x() - advance / 2
        baseline = rect.center().y() + (fm.ascent() - fm.descent()) / 2
        self.text_at(p, x, baseline, f, text, color, bold)

    def text_at(self, p: QPainter, x: float, baseline: float, f: QFont, text: str, color: QColor,
                bold: bool) -> None:
        path = QPainterPath()
        path.addText(x, baseline, f, text)
        p.fillPath(path, QBrush(color))  # explicit QBrush: implicit QColor conversion crashes PySide6 6.x
        if bold:
            p.strokePath(path, QPen(color, f.pixelSize() * 0.04, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))

    def panel(self, p: QPainter, rect: QRectF, color: QColor = PANEL) -> None:
        p.setPen(QPen(LINE, max(1.0, 2 * self.u)))
        p.setBrush(QBrush(color))
        r = 14 * self.u
        p.drawRoundedRect(rect, r, r)

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt naming
        """Paint the sections the dirty rectangle touches (the ticker alone 25 times a second)."""
        dirty = QRectF(event.rect())
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.TextAntialiasing)
        p.fillRect(dirty, QBrush(BG))
        s = self.state
        for rect, paint in ((self._header_rect(), self._paint_header),
                            (self._highlight_rect(), self._paint_highlight),
                            (self._recent_rect(), self._paint_recent),
                            (self._windows_rect(), self._paint_windows),
                            (self._zones_rect(), self._paint_zones),
                            (self._ticker_rect(), self._paint_ticker)):
            if rect.intersects(dirty):
                paint(p, s)
        p.end()

    def _paint_header(self, p: QPainter, s: ScreenState) -> None:
        u = self.u
        r = self._header_rect()
        p.fillRect(r, QBrush(HEADER))
        clock_w = 300 * u
        date_w = 430 * u
        name_rect = QRectF(28 * u, 0, r.width() - clock_w - date_w - 60 * u, r.height())
        self.draw_text(p, name_rect, s.hall_name, 60 * u, WHITE, True, Qt.AlignLeft)
        date = f"{s.now.year}年{s.now.month}月{s.now.day}日 星期{WEEKDAYS[s.now.weekday()]}"
        self.draw_text(p, QRectF(r.width() - clock_w - date_w - 20 * u, 0, date_w, r.height()),
                       date, 40 * u, SOFT, False, Qt.AlignRight)
        self.draw_text(p, QRectF(r.width() - clock_w, 0, clock_w - 28 * u, r.height()),
                       s.now.strftime("%H:%M:%S"), 64 * u, WHITE, True, Qt.AlignRight)

    def _paint_highlight(self, p: QPainter, s: ScreenState) -> None:
        u = self.u
        r = self._highlight_rect()
        flash = s.flashing and self.flash_on
        self.panel(p, r, FLASH if flash else PANEL)
        call = s.highlight
        if s.link_down:
            self.panel(p, r, CELL_OFF)
            self.draw_text(p, QRectF(r.left(), r.top() + 60 * u, r.width(), 170 * u),
                           "连接中断", 130 * u, ORANGE, True)
            retrying = s.notice.startswith("连接中断")  # else refused for good (a revoked token)
            self.draw_text(p, QRectF(r.left(), r.top() + 240 * u, r.width(), 90 * u),
                           "正在重连，请留意语音叫号" if retrying else "请留意语音叫号，并联系技术人员",
                           64 * u, WHITE, True)
            self.draw_text(p, QRectF(r.left() + 20 * u, r.top() + 350 * u, r.width() - 40 * u, 60 * u),
                           "Connection lost, reconnecting: please listen for your number" if retrying
                           else "Not connected: please listen for your number", 36 * u, SOFT)
            return
        if call is None:
            self.draw_text(p, QRectF(r.left(), r.top() + 60 * u, r.width(), 200 * u),
                           "欢迎光临", 150 * u, WHITE, True)
            self.draw_text(p, QRectF(r.left(), r.top() + 280 * u, r.width(), 90 * u),
                           "请取号后留意叫号", 64 * u, SOFT)
            return
        inner = r.adjusted(20 * u, 0, -20 * u, 0)
        self.draw_text(p, QRectF(inner.left(), r.top() + 14 * u, inner.width(), 70 * u),
                       "请", 56 * u, WHITE, True)
        self.draw_text(p, QRectF(inner.left(), r.top() + 66 * u, inner.width(), 240 * u),
                       call.number, 270 * u, WHITE if flash else YELLOW, True)
        self.draw_text(p, QRectF(inner.left(), r.top() + 300 * u, inner.width(), 100 * u),
                       f"到 {call.window} 号窗口", 94 * u, WHITE, True)
        self.draw_text(p, QRectF(inner.left(), r.top() + 398 * u, inner.width(), 48 * u),
                       f"{call.service_name}  ·  {call.text_en}", 36 * u, SOFT if not flash else WHITE)

    def _paint_recent(self, p: QPainter, s: ScreenState) -> None:
        u = self.u
        r = self._recent_rect()
        self.panel(p, r)
        title = QRectF(r.left() + 20 * u, r.top() + 6 * u, r.width() - 40 * u, 56 * u)
        self.draw_text(p, title, "中断前的叫号  Calls before the cut" if s.link_down else "最近叫号  Recent calls",
                       40 * u, SOFT, True, Qt.AlignLeft)
        calls = [c for c in s.recent if s.highlight is None or c.number != s.highlight.number]
        body = QRectF(r.left() + 20 * u, title.bottom() + 4 * u, r.width() - 40 * u,
                      r.bottom() - title.bottom() - 14 * u)
        rows = max(1, int(body.height() // (60 * u)))
        cols = 2
        calls = calls[:rows * cols]
        if not calls:
            self.draw_text(p, body, "—", 48 * u, GREY)
            return
        cw, rh = body.width() / cols, body.height() / rows
        for i, c in enumerate(calls):
            row, col = divmod(i, cols)   # newest first, read left to right
            cell = QRectF(body.left() + col * cw, body.top() + row * rh, cw - 16 * u, rh)
            num_w = cell.width() * 0.40
            self.draw_text(p, QRectF(cell.left(), cell.top(), num_w, rh), c.number, 52 * u, YELLOW, True,
                           Qt.AlignLeft)
            self.draw_text(p, QRectF(cell.left() + num_w, cell.top(), cell.width() - num_w, rh),
                           f"→ {c.window}号窗口", 48 * u, WHITE, False, Qt.AlignLeft)

    def _window_pages(self, s: ScreenState) -> tuple[list, int, int, int]:
        """(windows on this page, page index, page count, columns): cells never smaller than
        MIN_CELL (readable from 10 m); more windows than fit rotate every ``page_seconds``."""
        u = self.u
        windows = [w for w in s.windows if self.only_windows is None or w.number in self.only_windows]
        r = self._windows_rect()
        body_w, body_h = r.width() - 28 * u, r.height() - 82 * u
        max_cols = max(1, int(body_w // (MIN_CELL[0] * u)))
        max_rows = max(1, int(body_h // (MIN_CELL[1] * u)))
        per_page = max_cols * max_rows
        n = len(windows)
        if n <= per_page:
            cols = max(1, min(max_cols, round(math.sqrt(n * body_w / max(body_h, 1) / 1.6)) or 1))
            while math.ceil(n / cols) > max_rows:
                cols += 1
            return windows, 0, 1, cols
        pages = math.ceil(n / per_page)
        page = self._page % pages
        return windows[page * per_page:(page + 1) * per_page], page, pages, max_cols

    def _paint_windows(self, p: QPainter, s: ScreenState) -> None:
        u = self.u
        r = self._windows_rect()
        self.panel(p, r)
        windows, page, pages, cols = self._window_pages(s)
        title = QRectF(r.left() + 20 * u, r.top() + 6 * u, r.width() - 40 * u, 56 * u)
        self.draw_text(p, title, "窗口  Windows", 40 * u, SOFT, True, Qt.AlignLeft)
        if pages > 1:
            self.draw_text(p, title, f"{page + 1}/{pages}", 40 * u, SOFT, True, Qt.AlignRight)
        if not windows:
            return
        body = QRectF(r.left() + 14 * u, title.bottom() + 4 * u, r.width() - 28 * u,
                      r.bottom() - title.bottom() - 16 * u)
        rows = math.ceil(len(windows) / cols) if pages == 1 else max(1, int(body.height() // (MIN_CELL[1] * u)))
        cw, rh = body.width() / cols, body.height() / rows
        for i, w in enumerate(windows):
            row, col = divmod(i, cols)
            cell = QRectF(body.left() + col * cw + 5 * u, body.top() + row * rh + 5 * u,
                          cw - 10 * u, rh - 10 * u)
            p.setPen(QPen(Qt.NoPen))
            p.setBrush(QBrush(CELL if w.state in ("serving", "idle") else CELL_OFF))
            p.drawRoundedRect(cell, 8 * u, 8 * u)
            label_h = cell.height() * 0.40
            self.draw_text(p, QRectF(cell.left() + 8 * u, cell.top(), cell.width() - 16 * u, label_h),
                           f"{w.number}号窗口", min(44 * u, label_h * 0.8), SOFT, True)
            color = {"serving": YELLOW, "paused": ORANGE, "closed": GREY, "unknown": GREY}.get(w.state, GREEN)
            self.draw_text(p, QRectF(cell.left() + 8 * u, cell.top() + label_h,
                                     cell.width() - 16 * u, cell.height() - label_h),
                           w.label_zh, min(64 * u, (cell.height() - label_h) * 0.8), color, True)

    def _paint_zones(self, p: QPainter, s: ScreenState) -> None:
        u = self.u
        r = self._zones_rect()
        self.panel(p, r)
        head_w = 230 * u
        self.draw_text(p, QRectF(r.left() + 16 * u, r.top(), head_w - 16 * u, r.height() * 0.5),
                       "等候人数", 44 * u, WHITE, True)
        self.draw_text(p, QRectF(r.left() + 16 * u, r.top() + r.height() * 0.5, head_w - 16 * u,
                                 r.height() * 0.5), f"共 {s.waiting_total} 人", 42 * u,
                       GREY if s.link_down else YELLOW, True)  # counts of before the cut: not bright
        zones = list(s.zones)
        if not zones:
            return
        per_page = max(1, int((r.width() - head_w) // (MIN_ZONE * u)))
        if len(zones) > per_page:   # more zones than fit at a readable size: rotate pages
            pages = math.ceil(len(zones) / per_page)
            page = self._page % pages
            zones = zones[page * per_page:(page + 1) * per_page]
            slots = per_page
        else:
            slots = len(zones)
        zw = (r.width() - head_w) / slots
        for i, z in enumerate(zones):
            cell = QRectF(r.left() + head_w + i * zw, r.top(), zw, r.height())
            p.setPen(QPen(LINE, max(1.0, 2 * u)))
            p.drawLine(QPointF(cell.left(), cell.top() + 14 * u), QPointF(cell.left(), cell.bottom() - 14 * u))
            self.draw_text(p, QRectF(cell.left() + 8 * u, cell.top() + 8 * u, cell.width() - 16 * u,
                                     cell.height() * 0.45), z.zone, 38 * u, SOFT)
            self.draw_text(p, QRectF(cell.left() + 8 * u, cell.top() + cell.height() * 0.45,
                                     cell.width() - 16 * u, cell.height() * 0.52),
                           f"{z.waiting} 人", 54 * u, YELLOW if z.waiting and not s.link_down else GREY, True)

    def _paint_ticker(self, p: QPainter, s: ScreenState) -> None:
        r = self._ticker_rect()
        p.fillRect(r, QBrush(HEADER))
        strip = self._ticker_strip(s, r)
        if strip.width() <= 0:
            return
        span = strip.width()
        if self.ticker_offset is None:
            self.ticker_offset = r.width() - 40 * self.u
        x = r.width() - (self.ticker_offset % (span + r.width()))
        p.save()
        p.setClipRect(r)
        p.drawImage(QPointF(x, r.top()), strip)
        if x + span < r.width():
            p.drawImage(QPointF(x + span, r.top()), strip)
        p.restore()

    def _ticker_strip(self, s: ScreenState, r: QRectF) -> QImage:
        """The notice drawn once into an image, then only moved (cheap at 25 frames a second)."""
        text = s.notice + ("      " + s.notice_en if s.notice_en else "") + "          "
        key = (text, int(r.width()), int(r.height()))
        if self._strip_key is not None and self._strip_key[0] != text:
            self.ticker_offset = r.width() - 40 * self.u  # new text (the next 公示 item): read from its start
        if self._strip_key != key:
            f = self.make_font(46 * self.u)
            fm = QFontMetricsF(f)
            width = max(1, math.ceil(fm.horizontalAdvance(text) + f.pixelSize() * 0.1))
            image = QImage(width, max(1, int(r.height())), QImage.Format_ARGB32_Premultiplied)
            image.fill(HEADER)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.Antialiasing)
            baseline = r.height() / 2 + (fm.ascent() - fm.descent()) / 2
            self.text_at(painter, 0, baseline, f, text, WHITE, True)
            painter.end()
            self._strip, self._strip_key = image, key
        return self._strip


def run(ctx, windowed: bool = False, size: tuple[int, int] | None = None,
        windows: set[int] | None = None) -> int:
    """Open the hall screen (full screen unless ``windowed``) until closed."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from .guide_notice import rotation_for
    screen = HallScreen(ScreenModel(ctx.hall, rotation=rotation_for(ctx)), windows=windows)
    if size:
        screen.resize(*size)
    if windowed or size:
        screen.show()
    else:
        screen.showFullScreen()
    return app.exec()
