"""Device addresses in a hall file: only what the drivers can open, never empty.

Window buses, LED boards and serial voice modules are opened by
``drivers.transport.open_serial`` (pyserial's ``serial_for_url``): a serial port path,
one of pyserial's URL handlers, or ``sim://NAME``. Printers have their own transports
(``drivers.printer.transports.parse_url``). Anything else (``ftp://…``, a typo, an empty
string) would only fail when the device is first opened, so it is refused at load.
"""
from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

from .invalid import Invalid

# pyserial URL handlers worth naming in a hall file, and sim:// (drivers/transport.py)
SERIAL_SCHEMES = ("sim", "socket", "rfc2217", "loop", "spy", "hwgrep")
PRINTER_SCHEMES = ("usb", "tcp", "socket", "serial", "file", "sim")
_PORT_PATH = re.compile(r"^(/.+|COM[1-9]\d*|\\\\\.\\COM[1-9]\d*)$", re.IGNORECASE)
_SERIAL_HELP = ("a serial port (/dev/ttyUSB0, /dev/serial/by-id/…, COM3), socket://HOST:PORT, "
                "rfc2217://HOST:PORT, loop:// or sim://NAME")
_SERIAL_HELP_ZH = ("串口（/dev/ttyUSB0、/dev/serial/by-id/…、COM3）、socket://主机:端口、"
                   "rfc2217://主机:端口、loop:// 或 sim://名称")
_PRINTER_HELP = ("a printer is usb://VID:PID, tcp://HOST:PORT, serial:///dev/ttyS0?baud=19200, "
                 "file:///dev/usb/lp0 or sim://NAME")
_PRINTER_HELP_ZH = ("打印机写作 usb://VID:PID、tcp://主机:端口、serial:///dev/ttyS0?baud=19200、"
                    "file:///dev/usb/lp0 或 sim://名称")


def _scheme(url: str) -> str:
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*)://", url)
    return m.group(1).lower() if m else ""


def _host_port(url: str, example: str, port_required: bool = True) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid(f"{url!r} has a bad port number; write {example}", f"{url!r} 的端口号不对；应写成 {example}") from None
    if not parts.hostname or (port is None and port_required):
        raise Invalid(f"{url!r} needs a host and a port, e.g. {example}", f"{url!r} 要写主机和端口，如 {example}")


def serial_url(url: str) -> str:
    """A port ``open_serial`` can open (stripped), or ValueError saying what one looks like."""
    url = url.strip()
    if not url:
        raise Invalid(f"the port is empty; give {_SERIAL_HELP}", f"串口是空的；请写{_SERIAL_HELP_ZH}")
    if _PORT_PATH.match(url):
        return url
    scheme = _scheme(url)
    if scheme not in SERIAL_SCHEMES:
        what = f"the {scheme}:// scheme" if scheme else "not a port path or URL"
        what_zh = f"不支持 {scheme}://" if scheme else "既不是串口路径也不是 URL"
        raise Invalid(f"{url!r} cannot be opened ({what}); give {_SERIAL_HELP}",
                      f"{url!r} 打不开（{what_zh}）；请写{_SERIAL_HELP_ZH}")
    if scheme in ("socket", "rfc2217"):
        _host_port(url, f"{scheme}://10.0.0.9:4001")
    return url


def optional_serial_url(url: str) -> str:
    """Like :func:`serial_url`, but "" (no device) is allowed; the section says when one is needed."""
    return serial_url(url) if url.strip() else ""


def printer_url(url: str) -> str:
    """A printer address ``drivers.printer.transports`` can open (stripped), or ValueError."""
    url = url.strip()
    if not url:
        raise Invalid(f"the printer address is empty; {_PRINTER_HELP}", f"打印机地址是空的；{_PRINTER_HELP_ZH}")
    if re.match(r"^(/.+|[A-Za-z]:[\\/].*|COM[1-9]\d*)$", url, re.IGNORECASE):
        return url
    scheme = _scheme(url)
    if scheme not in PRINTER_SCHEMES:
        raise Invalid(_PRINTER_HELP, _PRINTER_HELP_ZH)
    rest = url.split("://", 1)[1]
    if scheme == "usb" and not re.fullmatch(r"(0x)?[0-9A-Fa-f]{1,4}:(0x)?[0-9A-Fa-f]{1,4}(\?.*)?", rest):
        raise Invalid("a USB printer is usb://VID:PID in hex, e.g. usb://0x0416:0x5011 (see lsusb)",
                      "USB 打印机写作 usb://VID:PID（十六进制），如 usb://0x0416:0x5011（见 lsusb）")
    if scheme in ("tcp", "socket"):
        _host_port(url, "tcp://10.1.2.3:9100", port_required=False)  # the port defaults to 9100
    if scheme in ("serial", "file") and not rest.split("?")[0].strip("/"):
        example = f"{scheme}:///dev/" + ("ttyS0?baud=19200" if scheme == "serial" else "usb/lp0")
        raise Invalid(f"{url!r} names no device; e.g. {example}", f"{url!r} 没写设备，如 {example}")
    return url


SerialUrl = Annotated[str, AfterValidator(serial_url)]
OptionalSerialUrl = Annotated[str, AfterValidator(optional_serial_url)]


_HTTP = re.compile(r"https?://[^\s/?#]+(/\S*)?")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token


def http_address(value: str, field: str, example: str = "") -> str:
    """An http:// or https:// address with a host and, if given, a port 1-65535; else
    ValueError naming ``field`` (a port of 99999 only failed at the first request)."""
    ok = bool(_HTTP.fullmatch(value))
    if ok:
        try:
            parts = urlsplit(value)
            ok = bool(parts.hostname) and parts.port != 0
        except ValueError:  # a port out of range or not a number
            ok = False
    if not ok:
        raise Invalid(f"{field} must be an http:// or https:// address"
                      + (f", e.g. {example}" if example else "") + f", not {value!r}",
                      f"{field} 须为 http:// 或 https:// 地址" + (f"，如 {example}" if example else "")
                      + f"，不是 {value!r}")
    return value


def http_headers(headers: dict[str, str]) -> dict[str, str]:
    """Header names as HTTP tokens, values without line breaks or control characters
    (the HTTP library refused them at each send, so every message failed for ever)."""
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise Invalid(f"{name!r} is not a header name (letters, digits and - only, e.g. "
                          "\"Authorization\")", f"{name!r} 不是 HTTP 头名称（只能有字母、数字和 -，如 \"Authorization\"）")
        if any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in value):
            raise Invalid(f"the value of {name} cannot hold a line break or a control character",
                          f"{name} 的值里不能有换行或控制字符")
    return headers
