"""Broken hall files as they come from the field: every one is refused with one line,
``FILE:LINE: field.path: 中文 (English)`` in words a technician understands, the same through
load_hall() and through `jiaohao config check` (a subprocess: exit 2, no traceback)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_hall

from .test_config import GOOD

ROOT = Path(__file__).resolve().parents[1]

VOICE = '\n[voice]\nengine = "syn6288"\nurl = "sim://voice"\n'  # [voice] on line 26, url on 28
PRINTER = '\n[printer]\nurl = "sim://kiosk1"\n'  # [printer] on line 26, url on 27
SERVER = '\n[server]\nlisten = "0.0.0.0:8080"\n'  # [server] on line 26, listen on 27
SLOTS = '\n[[booking.slots]]\nservice = "A"\nperiods = ["09:00-12:00"]\ncapacity = 2\n'  # [[booking.slots]] on 26


def edit(old: str, new: str, base: str = GOOD) -> str:
    assert old in base
    return base.replace(old, new, 1)


# id, hall text, line, field, words that must be in the reason (the English; the Chinese comes first)
CASES = [
    # deep nesting: RecursionError in the TOML parser
    ("nested-lists", edit('name = "测试中心"', 'name = "测试中心"\nnotice = ' + "[" * 5000 + "]" * 5000),
     3, "hall.notice", "nested more than 64 deep"),
    ("nested-tables", edit('address = 2 }', 'address = 2 }\nscreen = ' + "{a = " * 3000 + "1" + "}" * 3000),
     25, "windows[1].screen", "nested more than 64 deep"),
    # bus URLs: empty, a scheme no driver opens, no port, a bare device name
    ("bus-url-empty", edit('url = "sim://floor1"', 'url = ""'), 5, "buses.floor1.url", "the port is empty"),
    ("bus-url-blank", edit('url = "sim://floor1"', 'url = "   "'), 5, "buses.floor1.url", "the port is empty"),
    ("bus-url-ftp", edit('url = "sim://floor1"', 'url = "ftp://10.0.0.9/bus"'), 5, "buses.floor1.url",
     "the ftp:// scheme"),
    ("bus-url-http", edit('url = "sim://floor1"', 'url = "http://gw"'), 5, "buses.floor1.url", "socket://HOST:PORT"),
    ("bus-url-no-port", edit('url = "sim://floor1"', 'url = "socket://10.0.0.9"'), 5, "buses.floor1.url",
     "needs a host and a port"),
    ("bus-url-bad-port", edit('url = "sim://floor1"', 'url = "rfc2217://gw:port"'), 5, "buses.floor1.url",
     "bad port number"),
    ("bus-url-relative", edit('url = "sim://floor1"', 'url = "ttyUSB0"'), 5, "buses.floor1.url",
     "not a port path or URL"),
    ("voice-url-ftp", GOOD + VOICE.replace("sim://voice", "ftp://x"), 28, "voice.url", "the ftp:// scheme"),
    ("voice-url-blank", GOOD + VOICE.replace("sim://voice", " "), 28, "voice.url", "needs the port of the module"),
    ("board-url-empty", GOOD + '\n[[boards]]\nurl = ""\n', 27, "boards[0].url", "the port is empty"),
    ("printer-url-empty", GOOD + PRINTER.replace("sim://kiosk1", ""), 27, "printer.url",
     "the printer address is empty"),
    ("printer-url-tcp-no-host", GOOD + PRINTER.replace("sim://kiosk1", "tcp://:9100"), 27, "printer.url",
     "needs a host"),
    ("printer-url-serial-no-device", GOOD + PRINTER.replace("sim://kiosk1", "serial://"), 27, "printer.url",
     "names no device"),
    # templates reaching into attributes, indexes, conversions, formats; unbalanced braces
    ("qr-attribute", GOOD + PRINTER + 'qr = "https://x.gov.cn/t/{ticket_id.__class__}"\n', 28, "printer.qr",
     "{ticket_id.__class__} is not allowed: the QR template may use only {status_url}, {token}, {ticket_id}, {number} and {day}"),
    ("qr-index", GOOD + PRINTER + 'qr = "{number[0]}"\n', 28, "printer.qr", "{number[0]} is not allowed"),
    ("qr-conversion", GOOD + PRINTER + 'qr = "{day!r}"\n', 28, "printer.qr", "{day!r} is not allowed"),
    ("qr-format-spec", GOOD + PRINTER + 'qr = "{ticket_id:>999999999}"\n', 28, "printer.qr", "is not allowed"),
    ("qr-unbalanced", GOOD + PRINTER + 'qr = "https://x.gov.cn/t/{ticket_id"\n', 28, "printer.qr",
     "the '{' at character 20 is not closed"),
    ("qr-stray-close", GOOD + PRINTER + 'qr = "t/ticket_id}"\n', 28, "printer.qr", "the '}' at character 12 closes no field"),
    ("qr-empty-field", GOOD + PRINTER + 'qr = "t/{}"\n', 28, "printer.qr", "unknown field {}"),
    ("voice-unbalanced", GOOD + VOICE + 'template = "请{number}号到{window号窗口办理"\n', 29, "voice.template",
     "the '{' at character 12 is not closed (a voice template may use only {number}, {window}, {service} and "
     "{window_name}"),
    ("voice-attribute", GOOD + VOICE + 'template = "请{number.__class__}号"\n', 29, "voice.template",
     "{number.__class__} is not allowed"),
    ("voice-doubled-brace", GOOD + VOICE + 'template = "请{{number}}号"\n', 29, "voice.template",
     "a call cannot say a brace"),
    ("voice-en-stray", GOOD + VOICE + 'template_en = "Number {number}, window {window}}"\n', 29, "voice.template_en",
     "closes no field"),
    # values of the wrong TOML type: true is not 1, "2" is not 2, nan is not a number
    ("number-true", edit("number = 2", "number = true"), 22, "windows[1].number",
     "expected a whole number (integer) like 5, not true"),
    ("number-quoted", edit("number = 2", 'number = "2"'), 22, "windows[1].number",
     'expected a whole number (integer) like 5, not "2" (without the quotes)'),
    ("number-float", edit("number = 2", "number = 2.0"), 22, "windows[1].number", "not 2.0"),
    ("minutes-nan", edit('name = "医疗保障"', 'name = "医疗保障"\nexpected_minutes = nan'), 15,
     "services[1].expected_minutes", "nan (not a number) cannot be used here"),
    ("retry-inf", edit('url = "sim://floor1"', 'url = "sim://floor1"\noffline_retry_s = inf'), 6,
     "buses.floor1.offline_retry_s", "inf (infinity) cannot be used here"),
    ("chime-string", GOOD + VOICE + 'chime = "yes"\n', 29, "voice.chime", 'expected true or false, not "yes"'),
    ("name-number", edit('name = "医疗保障"', "name = 5"), 14, "services[1].name",
     "expected text in double quotes, not 5"),
    ("services-string", edit('services = ["B"]', 'services = "B"'), 23, "windows[1].services",
     'expected a list in brackets like ["A", "B"], not "B"'),
    ("keypad-number", edit('keypad = { bus = "floor1", address = 2 }', "keypad = 2"), 24, "windows[1].keypad",
     "expected a table"),
    # sections added after #19 ([server], [client], [kiosk] leases, [booking], [calendar], [city],
    # [limits], [notify], [ratings]): each was accepted and failed later, at a request or a send
    ("server-listen-blank-host", GOOD + SERVER.replace("0.0.0.0:8080", " :8080"), 27, "server.listen",
     "listen must be HOST:PORT"),
    ("server-public-url-port", GOOD + SERVER + 'public_url = "http://hall.gov.cn:99999"\n', 28, "server.public_url",
     "must be an http:// or https:// address"),
    ("server-trusted-proxy-word", GOOD + SERVER + 'trusted_proxies = ["gateway"]\n', 28, "server.trusted_proxies",
     "'gateway' is not an IP address or network"),
    ("server-one-port-twice", GOOD + SERVER + 'public_listen = "0.0.0.0:8080"\n', 28, "server.public_listen",
     "the citizens' pages need a port of their own"),
    ("client-server-port", GOOD + '\n[client]\nserver = "http://127.0.0.1:99999"\n', 27, "client.server",
     "must be an http:// or https:// address"),
    ("client-server-port-word", GOOD + '\n[client]\nserver = "http://10.0.0.1:port"\n', 27, "client.server",
     "must be an http:// or https:// address"),
    ("lease-prefix-unknown", GOOD + '\n[kiosk]\nlease_sizes = { ZZ = 5 }\n', 27, "kiosk.lease_sizes.ZZ",
     "no service issues tickets with prefix 'ZZ'; the prefixes are A, B"),
    ("lease-prefix-lower", GOOD + '\n[kiosk]\nlease_sizes = { a = 5 }\n', 27, "kiosk.lease_sizes.a",
     "no service issues tickets with prefix 'a'"),
    ("booking-period-fullwidth", GOOD + SLOTS.replace("09:00-12:00", "０９:00-12:00"), 26, "booking.slots[0].periods",
     "is not a time range like 08:30-12:00"),
    ("booking-slot-longer-than-period", GOOD + SLOTS.replace("09:00-12:00", "09:00-09:20"), 26,
     "booking.slots[0].slot_minutes", "a slot of 30 minutes does not fit in the period 09:00-09:20"),
    ("booking-closed-year-1", GOOD + '\n[booking]\nclosed_days = ["0001-01-01"]\n', 27, "booking.closed_days",
     "dates run from 2000-01-01 to 2099-12-31"),
    ("calendar-year-9999", GOOD + '\n[calendar]\nworkdays = ["9999-12-31"]\n', 27, "calendar.workdays",
     "dates run from 2000-01-01 to 2099-12-31"),
    ("calendar-compact-date", GOOD + '\n[calendar]\nholidays = ["20270101"]\n', 27, "calendar.holidays",
     "dates are written YYYY-MM-DD"),
    ("calendar-holiday-and-workday", GOOD + '\n[calendar]\nholidays = ["2027-01-04"]\nworkdays = ["2027-01-04"]\n',
     28, "calendar.workdays", "2027-01-04 is listed both as a holiday and as a working day"),
    ("city-port", GOOD + '\n[city]\ndatabase = "postgresql://u@h:99999/city"\nhall_code = "1"\n', 27,
     "city.database", "has a bad port number"),
    ("limits-webhook-port", GOOD + '\n[limits]\nwebhook = "http://x:99999/a"\n', 27, "limits.webhook",
     "must be an http:// or https:// address"),
    ("limits-header-line-break", GOOD + '\n[limits]\nwebhook = "http://x/a"\nwebhook_headers = { X = "a\\nb" }\n', 28,
     "limits.webhook_headers", "the value of X cannot hold a line break"),
    ("notify-header-name", GOOD + '\n[notify]\nheaders = { "Auth: x" = "a" }\n', 27, "notify.headers",
     "'Auth: x' is not a header name"),
    ("push-url-port", GOOD + '\n[ratings.push]\nurl = "https://x:0/p"\n', 27, "ratings.push.url",
     "must be an http:// or https:// address"),
    ("push-auth-header", GOOD + '\n[ratings.push]\nauth_header = "X-Token:"\n', 27, "ratings.push.auth_header",
     "is not a header name"),
    ("case-prefix-path", GOOD + '\n[ratings]\ncase_prefix = "../x"\n', 27, "ratings.case_prefix",
     "\"../x\": at most 20 characters, each a letter, a digit, '_' or '-'"),  # words, not the regular expression
    # pydantic's own errors config/loader.py had no words for (int_parsing_size), and a time zone that is
    # tzdata's folder or a name too long for a file (OSError tracebacks from ZoneInfo)
    ("stopbits-huge", edit('url = "sim://floor1"', 'url = "sim://floor1"\nstopbits = 100000000000000000000'),
     6, "buses.floor1.stopbits", "100000000000000000000 is far too large a number"),
    ("timezone-a-region", edit('name = "测试中心"', 'name = "测试中心"\ntimezone = "Asia"'), 3, "hall.timezone",
     "unknown time zone 'Asia'"),
    ("timezone-too-long", edit('name = "测试中心"', 'name = "测试中心"\ntimezone = "' + "x" * 300 + '"'), 3,
     "hall.timezone", "unknown time zone 'xxx"),
]


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def hall_file(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "hall.toml"
    path.write_bytes(text.encode(encoding))
    return path


def config_check(tmp_path, path) -> subprocess.CompletedProcess:
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "h.sqlite"),  # the code under test, not an installed copy
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", "--config", str(path), "config", "check"],
                          capture_output=True, text=True, env=env, timeout=60)


def one_line_error(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == "" and "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


@pytest.mark.parametrize("text, line, field, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_hall_file_names_file_line_and_field(tmp_path, text, line, field, words):
    path = hall_file(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_hall(path)
    err = e.value
    assert (err.line, err.field) == (line, field), str(err)
    assert str(err).startswith(f"{path}:{line}: {field}: ") and words in err.reason, str(err)
    assert str(err) == f"{path}:{line}: {field}: {err.zh} ({err.reason})" and has_chinese(err.zh), str(err)
    assert "Traceback" not in str(err) and "\n" not in str(err)
    # the same line through the command a technician runs
    assert one_line_error(config_check(tmp_path, path)) == f"jiaohao: 配置错误 (config error): {err}"


@pytest.mark.parametrize("url", ["/dev/ttyUSB0", "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0", "COM3",
                                 "com12", r"\\.\COM10", "socket://10.0.0.9:4001", "rfc2217://gw.local:2217",
                                 "loop://", "sim://floor1", "spy:///dev/ttyUSB0?file=bus.txt", "hwgrep://0403:6001",
                                 "  /dev/ttyS1  "])
def test_bus_urls_the_drivers_open_are_accepted(tmp_path, url):
    cfg = load_hall(hall_file(tmp_path, edit('url = "sim://floor1"', f"url = '{url}'")))  # a literal string
    assert cfg.buses["floor1"].url == url.strip()


def test_voice_without_a_port_is_fine_when_the_engine_needs_none(tmp_path):
    cfg = load_hall(hall_file(tmp_path, GOOD + '\n[voice]\nengine = "espeak"\nurl = ""\n'))
    assert cfg.voice.url == ""


@pytest.mark.parametrize("qr", ["", "{ticket_id}", "https://x.gov.cn/q?d={day}&n={number}&id={ticket_id}",
                                "https://x.gov.cn/{{literal}}/{number}"])
def test_good_qr_templates(tmp_path, qr):
    assert load_hall(hall_file(tmp_path, GOOD + PRINTER + f'qr = "{qr}"\n')).printer.qr == qr


def test_a_utf8_bom_is_accepted_and_lines_stay_right(tmp_path):
    """Windows Notepad saves UTF-8 with a BOM: the file loads, and errors keep their line."""
    path = hall_file(tmp_path, GOOD, "utf-8-sig")
    assert load_hall(path).hall.name == "测试中心"
    p = config_check(tmp_path, path)
    assert p.returncode == 0 and p.stdout.startswith(f"正常 (OK) {path}\n  测试中心："), (p.stdout, p.stderr)
    assert " 个业务，" in p.stdout and " services in " in p.stdout and "\n  总线 (buses): " in p.stdout
    path = hall_file(tmp_path, edit("number = 2", "number = true"), "utf-8-sig")
    line = one_line_error(config_check(tmp_path, path))
    assert line.startswith(f"jiaohao: 配置错误 (config error): {path}:22: windows[1].number: 应为整数，如 5，不是 true "
                           "(expected a whole number")


def test_a_file_that_is_not_utf8_names_its_line(tmp_path):
    path = hall_file(tmp_path, GOOD, "gbk")  # 测试中心 on line 2
    line = one_line_error(config_check(tmp_path, path))
    assert line == (f"jiaohao: 配置错误 (config error): {path}:2: 不是 UTF-8 文本（字节 0xB2）：请把文件另存为 UTF-8"
                    "（可能存成了 GBK/ANSI） (not UTF-8 text (byte 0xB2); save the file as UTF-8 "
                    "(it may have been saved as GBK/ANSI))")


def _fifo(tmp_path):
    path = tmp_path / "hall.fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("make, words", [
    (_fifo, "是命名管道（FIFO），不是大厅配置文件：请给出 .toml 文件的路径 "
            "(is a named pipe (FIFO), not a hall file: give the path of the .toml file)"),
    (lambda tmp_path: tmp_path, "是文件夹，不是大厅配置文件：请给出 .toml 文件的路径 "
                                "(is a folder, not a hall file: give the path of the .toml file)"),
    (lambda tmp_path: "/dev/zero", "是设备，不是大厅配置文件：请给出 .toml 文件的路径 "
                                   "(is a device, not a hall file: give the path of the .toml file)"),
    (lambda tmp_path: "/dev/null", "是设备，不是大厅配置文件：请给出 .toml 文件的路径 "
                                   "(is a device, not a hall file: give the path of the .toml file)"),
    (lambda tmp_path: tmp_path / "none.toml", "文件不存在 (file not found)"),
], ids=["named-pipe", "directory", "dev-zero", "dev-null", "missing"])
def test_not_a_file_is_refused_without_hanging(tmp_path, make, words):
    path = make(tmp_path)
    # a FIFO nobody writes to used to block for ever: the subprocess (with its time-out) goes first
    assert one_line_error(config_check(tmp_path, path)) == f"jiaohao: 配置错误 (config error): {path}: {words}"
    with pytest.raises(ConfigError) as e:
        load_hall(path)
    assert str(e.value) == f"{path}: {words}"


def test_a_huge_file_is_refused(tmp_path):
    path = tmp_path / "hall.toml"
    with open(path, "wb") as f:
        f.truncate(9 * 1024 * 1024)
    with pytest.raises(ConfigError, match="over 8 MB; a hall file is a few kilobytes"):
        load_hall(path)
