"""The bytes of a CSV file as text: which encoding it is in, and refusing what is not text.

Accepted: UTF-8 with or without a BOM, UTF-16 or UTF-32 with a BOM (Excel's "Unicode
text"), and GB18030/GBK (what Excel writes on a Chinese Windows PC). Refused, with the
line and the text before the problem: a workbook, an image or an archive saved under a
.csv name, UTF-16 without a BOM, bytes no accepted encoding decodes, and a file that
does decode as GBK but only into characters no Chinese booking has — Big5 (Traditional
Chinese) and Shift-JIS (Japanese) files do that, and would otherwise be stored garbled.
"""
from __future__ import annotations

import re

SAVE_AS = "save it as UTF-8 (Excel: File › Save As › CSV UTF-8 (Comma delimited))"
SAVE_AS_ZH = "请另存为 UTF-8（Excel：文件 › 另存为 › CSV UTF-8（逗号分隔））"

NOT_TEXT = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another ZIP archive", "Excel 工作簿（.xlsx）或其他 ZIP 压缩包"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)", "旧版 Excel 工作簿（.xls）"),
    (b"\x89PNG", "a PNG image", "PNG 图片"), (b"\xff\xd8\xff", "a JPEG image", "JPEG 图片"),
    (b"GIF8", "a GIF image", "GIF 图片"), (b"%PDF", "a PDF document", "PDF 文档"),
    (b"\x1f\x8b", "a gzip-compressed file (unpack it first)", "gzip 压缩文件（请先解压）"),
    (b"BZh", "a bzip2-compressed file (unpack it first)", "bzip2 压缩文件（请先解压）"),
    (b"\xfd7zXZ", "an xz-compressed file (unpack it first)", "xz 压缩文件（请先解压）"),
    (b"7z\xbc\xaf", "a 7-Zip archive", "7-Zip 压缩包"), (b"Rar!", "a RAR archive", "RAR 压缩包"),
    (b"SQLite format 3\x00", "an SQLite database", "SQLite 数据库"),
)
# UTF-32 before UTF-16: FF FE 00 00 starts with FF FE
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"), (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
         (b"\xef\xbb\xbf", "utf-8", "UTF-8"), (b"\xff\xfe", "utf-16-le", "UTF-16"),
         (b"\xfe\xff", "utf-16-be", "UTF-16"))
_NEWLINE = re.compile(r"\r\n|\r|\n")
# Read as GB18030, a Chinese booking holds ASCII, Chinese characters and their punctuation;
# Big5 and Shift-JIS bytes read that way give kana, Greek, box drawing, private-use ...
_UNUSUAL = re.compile("[^\x00-\x7f\u00b7\u00c0-\u024f\u2000-\u218f\u2460-\u24ff\u3000-\u303f\u3400-\u4dbf"
                      "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff01-\uff5e\uffe0-\uffe6\U00020000-\U0003134f]")
_HANZI = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


class UndecodableText(ValueError):
    """Not text this import can read. ``message`` says why in English, ``zh`` in Chinese;
    ``line`` (1-based) and ``before`` (the text of that line before the problem) say where,
    when there is a where; ``first_line`` is the file's first line (its header) as far as
    it could be read."""

    def __init__(self, message: str, line: int | None = None, before: str = "", first_line: str = "",
                 zh: str = ""):
        super().__init__(message)
        self.message, self.line, self.before, self.first_line = message, line, before, first_line
        self.zh = zh or message


def decode_text(data: bytes) -> str:
    """``data`` as text (without a BOM), or UndecodableText saying why not and where."""
    for magic, what, what_zh in NOT_TEXT:
        if data.startswith(magic):
            raise UndecodableText(f"this is {what}, not CSV text; {SAVE_AS}",
                                  zh=f"这是{what_zh}，不是 CSV 文本；{SAVE_AS_ZH}")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                return body.decode(codec)
            except UnicodeDecodeError as e:
                raise _located(body, e.start, codec, f"the file says it is {name} but is not valid {name} "
                                                     f"here; {SAVE_AS}",
                               f"文件标明是 {name}，这里却不是有效的 {name}；{SAVE_AS_ZH}") from None
    if _looks_utf16(data[:2000]):
        raise UndecodableText(f"this looks like UTF-16 text without its byte-order mark; {SAVE_AS}",
                              zh=f"这像是没有字节顺序标记（BOM）的 UTF-16 文本；{SAVE_AS_ZH}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        bad = data[e.start:e.start + 2].hex(" ").upper()
        raise _located(data, e.start, "gb18030", f"the bytes {bad} are neither UTF-8 nor GBK/GB18030 "
                                                 f"(is it Big5, Shift-JIS or not text at all?); {SAVE_AS}",
                       f"字节 {bad} 既不是 UTF-8 也不是 GBK/GB18030（是 Big5、Shift-JIS，还是根本不是文本？）；"
                       f"{SAVE_AS_ZH}") from None
    at = _garbled_at(text)
    if at is not None:
        word = re.match(r"[^\x00-\x7f]{1,8}", text[at:]).group()
        raise _at_char(text, at, f"the file is not UTF-8, and read as GBK it gives {word!r}, which is no "
                                 f"Chinese text: it may be Big5 (Traditional Chinese) or Shift-JIS (Japanese); "
                                 f"{SAVE_AS}",
                       f"文件不是 UTF-8，按 GBK 读出来是 {word!r}，不是中文：可能是 Big5（繁体中文）或 Shift-JIS"
                       f"（日文）；{SAVE_AS_ZH}")
    return text


def _garbled_at(text: str) -> int | None:
    """Where the GB18030 reading of a file stops looking like Chinese, or None."""
    m = _UNUSUAL.search(text)
    if m:
        return m.start()
    try:
        text.encode("gb2312")  # the 6,763 common characters: every real file nearly
        return None
    except UnicodeEncodeError:
        pass
    hanzi = list(_HANZI.finditer(text))
    rare = [m for m in hanzi if not _in_gb2312(m.group())]
    # a name with a rare character (喆, 堃) is normal; a file mostly of them is Shift-JIS
    if len(rare) >= 3 and len(rare) * 4 > len(hanzi):
        return rare[0].start()
    return None


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _looks_utf16(head: bytes) -> bool:
    """Mostly NULs, or (UTF-16 of Chinese text: only its ASCII has a NUL byte) NULs in one
    of every ten bytes nearly all on the same side of their byte pair; text never has one."""
    nuls = head.count(b"\x00")
    if not head or nuls * 3 > len(head):
        return bool(head)
    even = head[0::2].count(b"\x00")
    return nuls * 10 > len(head) and max(even, nuls - even) * 10 >= nuls * 9


def _located(data: bytes, pos: int, codec: str, message: str, zh: str) -> UndecodableText:
    return _at_char(data[:pos].decode(codec, errors="replace"), None, message, zh)


def _at_char(text: str, pos: int | None, message: str, zh: str) -> UndecodableText:
    prefix = text if pos is None else text[:pos]
    breaks = list(_NEWLINE.finditer(prefix))
    return UndecodableText(message, len(breaks) + 1, prefix[breaks[-1].end():] if breaks else prefix,
                           prefix[:breaks[0].start()] if breaks else prefix, zh)
