"""Looks of the kiosk: sizes scaled to the screen, a standard and a high-contrast theme.

Sizes are in pixels of a 1080-pixel short side and scaled to the real screen, so a
1080x1920 portrait and a 1920x1080 landscape kiosk get the same text size. Elderly
mode (适老化) uses larger text and the high-contrast theme: white and yellow on black,
every touch target outlined. Colours meet WCAG AA contrast in the standard theme and
AAA (7:1) in the high-contrast one.
"""
from __future__ import annotations

from dataclasses import dataclass

# The ticket number is drawn as large outlines, where Qt cannot embolden a font without a
# bold face (WenQuanYi has none): a Latin font with a real bold face keeps it heavy.
NUMBER_FAMILIES = '"DejaVu Sans", "Liberation Sans", "Arial", sans-serif'
FONT_FAMILIES = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif'


@dataclass(frozen=True)
class Theme:
    name: str
    bg: str
    fg: str
    muted: str
    accent: str  # title bar, primary buttons
    accent_fg: str
    tile_bg: str
    tile_fg: str
    tile_border: str
    off_bg: str  # unavailable tile
    off_fg: str
    green: str  # 绿色通道
    green_fg: str
    warn_bg: str
    warn_fg: str
    callout: str  # "please take your ticket"
    border_px: int
    # text sizes at a 1080 px short side
    title: int
    huge: int
    large: int
    big: int
    body: int
    small: int
    tile_name: int
    button: int


STANDARD = Theme("standard", bg="#EEF2F7", fg="#16202C", muted="#45515F", accent="#0A4A9F", accent_fg="#FFFFFF",
                 tile_bg="#FFFFFF", tile_fg="#0B2E5C", tile_border="#B8C6DA", off_bg="#DADFE6", off_fg="#4A525C",
                 green="#0B7A3B", green_fg="#FFFFFF", warn_bg="#B3261E", warn_fg="#FFFFFF", callout="#0B6B34",
                 border_px=2, title=52, huge=300, large=96, big=64, body=34, small=28, tile_name=50, button=38)

ELDERLY = Theme("elderly", bg="#000000", fg="#FFFFFF", muted="#FFE14D", accent="#000000", accent_fg="#FFFFFF",
                tile_bg="#0A2A66", tile_fg="#FFFFFF", tile_border="#FFE14D", off_bg="#262626", off_fg="#D9D9D9",
                green="#0E6B2E", green_fg="#FFFFFF", warn_bg="#8B0000", warn_fg="#FFFFFF", callout="#FFE14D",
                border_px=4, title=64, huge=360, large=120, big=84, body=46, small=40, tile_name=72, button=50)


def scale_for(width: int, height: int) -> float:
    """Pixels per design pixel for a window of this size (design: 1080 px short side)."""
    return max(0.4, min(width, height) / 1080)


def stylesheet(t: Theme, scale: float) -> str:
    def px(v: int) -> int:
        return max(8, round(v * scale))

    b = t.border_px
    return f"""
* {{ font-family: {FONT_FAMILIES}; }}
#KioskWindow, QStackedWidget > QWidget {{ background: {t.bg}; color: {t.fg}; }}
QLabel {{ color: {t.fg}; background: transparent; }}
QLabel[role="title"] {{ font-size: {px(t.title)}px; font-weight: bold; }}
QLabel[role="huge"] {{ font-size: {px(t.huge)}px; font-weight: bold; color: {t.fg};
    font-family: {NUMBER_FAMILIES}; }}
QLabel[role="large"] {{ font-size: {px(t.large)}px; font-weight: bold; }}
QLabel[role="callout"] {{ font-size: {px(t.large)}px; font-weight: bold; color: {t.callout}; }}
QLabel[role="tag"] {{ font-size: {px(t.big)}px; font-weight: bold; color: {t.callout}; }}
QLabel[role="big"] {{ font-size: {px(t.big)}px; font-weight: bold; }}
QLabel[role="body"] {{ font-size: {px(t.body)}px; }}
QLabel[role="small"] {{ font-size: {px(t.small)}px; color: {t.muted}; }}
QLabel[role="secondary"] {{ font-size: {px(t.body)}px; color: {t.muted}; }}
QLabel[role="alert"] {{ font-size: {px(t.body)}px; font-weight: bold; color: {t.warn_fg}; background: {t.warn_bg};
    border-radius: {px(12)}px; padding: {px(12)}px; }}
QLabel[role="code"] {{ font-size: {px(t.big)}px; font-weight: bold; background: {t.tile_bg}; color: {t.tile_fg};
    border: {b}px solid {t.tile_border}; border-radius: {px(12)}px; padding: {px(10)}px; }}
#Header {{ background: {t.accent}; border-bottom: {b}px solid {t.tile_border}; }}
#Header QLabel {{ color: {t.accent_fg}; }}
#Banner {{ background: {t.green}; }}
#Banner QLabel {{ color: {t.green_fg}; font-size: {px(t.body)}px; font-weight: bold; padding: {px(10)}px; }}
#Paused {{ background: {t.warn_bg}; border-radius: {px(24)}px; }}
#Paused QLabel {{ color: {t.warn_fg}; }}
QPushButton {{ font-size: {px(t.button)}px; font-weight: bold; color: {t.accent_fg}; background: {t.accent};
    border: {b}px solid {t.tile_border}; border-radius: {px(16)}px; padding: {px(12)}px {px(20)}px;
    min-height: {px(96)}px; }}
QPushButton:pressed {{ background: {t.tile_fg}; color: {t.tile_bg}; }}
QPushButton:disabled {{ background: {t.off_bg}; color: {t.off_fg}; }}
QPushButton[kind="green"] {{ background: {t.green}; color: {t.green_fg}; }}
QPushButton[kind="green"]:disabled, QPushButton[kind="plain"]:disabled {{ background: {t.off_bg}; color: {t.off_fg}; }}
QPushButton[kind="plain"] {{ background: {t.tile_bg}; color: {t.tile_fg}; }}
QPushButton[kind="key"] {{ background: {t.tile_bg}; color: {t.tile_fg}; font-size: {px(t.big)}px;
    min-height: {px(110)}px; }}
QPushButton[kind="key"]:disabled {{ background: {t.off_bg}; color: {t.off_fg}; border-style: dashed; }}
QPushButton[kind="letter"] {{ background: {t.tile_bg}; color: {t.tile_fg}; font-size: {px(t.body)}px;
    min-height: {px(64)}px; padding: {px(4)}px; }}
QScrollArea, QScrollArea > QWidget, #GuideBody {{ background: {t.bg}; border: none; }}
QPushButton#Tile {{ background: {t.tile_bg}; border: {b}px solid {t.tile_border}; border-radius: {px(20)}px;
    padding: {px(14)}px; text-align: left; }}
QPushButton#Tile:pressed {{ background: {t.tile_border}; }}
QPushButton#Tile[available="false"] {{ background: {t.off_bg}; border-style: dashed; }}
QPushButton#Tile QLabel[role="name"] {{ font-size: {px(t.tile_name)}px; font-weight: bold; color: {t.tile_fg}; }}
QPushButton#Tile QLabel[role="zone"] {{ font-size: {px(t.small)}px; color: {t.tile_fg}; }}
QPushButton#Tile QLabel[role="figures"] {{ font-size: {px(t.body)}px; color: {t.tile_fg}; }}
QPushButton#Tile[available="false"] QLabel {{ color: {t.off_fg}; }}
QPushButton#Tile[priority="true"] {{ border-color: {t.green}; }}
"""
