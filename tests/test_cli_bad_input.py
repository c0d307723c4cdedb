"""Malformed invocations of `jiaohao`: each exits 2 with one plain line on stderr, never a
traceback. Real subprocesses (`python -m jiaohao`), as a user or a script runs it.
(Bad --db paths are in the database tests.)"""
from __future__ import annotations

import os
import subprocess
import sys

from pathlib import Path

import pytest

NOW = "2026-11-23T09:00:00"
ROOT = Path(__file__).resolve().parents[1]  # the code under test, whatever the cwd (a worktree)


def run(folder, *args, env_extra=None, **kw):
    env = {**os.environ, "JIAOHAO_DB": str(folder / "cli.sqlite"), "JIAOHAO_NOW": NOW,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), **(env_extra or {})}
    for name in ("JIAOHAO_CONFIG", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)  # no display: a GUI command must say so, not abort in Qt
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], stderr=subprocess.PIPE, text=True, env=env,
                          timeout=60, **kw)


def assert_one_line(p, words=""):
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and p.stderr.count("\n") == 1 and p.stderr.endswith("\n"), p.stderr
    assert words in p.stderr, p.stderr


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """A folder with a queue database holding one waiting ticket; every case below fails, so they share it."""
    folder = tmp_path_factory.mktemp("hall")
    assert run(folder, "queue", "issue", "A").returncode == 0
    return folder


CASES = [
    # window and score numbers: ASCII digits only (int() reads 1_2 as 12 and ٢ or ２ as 2)
    (["queue", "call", "1_2"], "'1_2' is not a window number"),
    (["queue", "call", "٢"], "'٢' is not a window number"),
    (["queue", "call", "２"], "is not a window number"),
    (["queue", "call", ""], "'' is not a window number"),
    (["queue", "call", "--", "-1"], "'-1' is not a window number"),
    (["queue", "call", "0"], "window number must be 1-9999"),
    (["queue", "call", "99999999999999999999"], "window number must be 1-9999"),
    (["queue", "call", "99"], "unknown window 99"),
    (["queue", "call", " 1"], "is not a window number"),
    (["queue", "transfer", "1", "--to-window", "1_2"], "'1_2' is not a window number"),
    (["queue", "transfer", "1", "--to-service", "ZZ"], "unknown service 'ZZ'"),
    (["queue", "transfer", "1"], "one of the arguments --to-service --to-window is required"),
    (["queue", "rate", "1", "５"], "'５' is not a score"),
    (["queue", "rate", "1", "0"], "score must be 1-5"),
    (["queue", "rate", "1", "7"], "score must be 1-5"),
    (["queue", "rate", "1", "5"], "no served ticket to rate"),
    (["queue", "finish", "3"], "no current ticket"),
    (["queue", "issue", ""], "unknown service ''"),
    (["queue", "issue", "a"], "unknown service 'a'"),
    (["queue", "issue", "Z"], "unknown service 'Z'"),
    (["queue", "pause", "1", "--reason", "nap"], "pause reason 'nap': away, lunch or meeting"),
    (["queue", "call"], "required: window"),
    (["queue"], "required: ACTION"),
    (["queue", "frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "required: COMMAND"),
    (["nonsense"], "invalid choice: 'nonsense'"),
    (["--config", "/nonexistent/hall.toml", "config", "check"], "file not found"),
    # report dates
    (["report", "--from", "2026-02-30"], "不是日期 (not a date): '2026-02-30'"),
    (["report", "--from", "2026-03-01", "--to", "2026-01-01"], "is after --to"),
    (["report", "--from", "2026-01-01", "--to", "9999-12-31"],
     "报表日期 9999-12-31：日期须在 2000-01-01 至 2099-12-31 之间 (report day 9999-12-31: dates run from 2000-01-01"),
    (["report", "--month", "9999-12"],
     "报表日期 9999-12-01：日期须在 2000-01-01 至 2099-12-31 之间 (report day 9999-12-01: dates run from 2000-01-01"),
    (["report", "--from", "0001-01-01"],
     "报表日期 0001-01-01：日期须在 2000-01-01 至 2099-12-31 之间 (report day 0001-01-01: dates run from 2000-01-01"),
    (["report", "--month", "2026-13"], "not a month"),
    (["report", "--month", "٢٠٢٦-10"], "not a month"),
    (["report", "--month", "2026-10", "--from", "2026-10-01"], "either --month or --from/--to"),
    (["report", "--from", ""], "--from is empty"),
    (["report", "--month", " "], "--month is empty"),
    (["report", "--from", "２０２６-01-01"], "not a date"),
    (["report", "--by", "weather"], "invalid choice: 'weather'"),
    (["report", "--format", "csv", "-o", "/proc/x"], "cannot write /proc/x"),
    (["report", "--format", "html", "-o", "/proc"], "cannot write /proc/report-"),
    # devices and screens
    (["diag", "screen", "--bus", "floor1", "--address", "999", "--text", "x"], "bus address must be 1-247"),
    (["diag", "screen", "--bus", "floor1", "--address", "٢", "--text", "x"], "is not a bus address"),
    (["diag", "board", "--index", "1_0"], "'1_0' is not a whole number"),
    (["caller", "--window", "٢"], "is not a window number"),
    (["caller", "--window", "99"], "no window 99"),
    (["caller", "--window", "1"], "no display here"),
    (["kiosk"], "no display here"),
    (["screen"], "no display here"),
    (["diag", "--gui"], "no display here for the diagnostics panel"),
    (["screen", "--windows", "٢", "--screenshot", "x.png"], "--windows"),
    (["screen", "--windows", "5-1", "--screenshot", "x.png"], "runs backwards"),
    (["screen", "--size", "１９２０x1080", "--screenshot", "x.png"], "--size"),
    (["demo", "--headless", "--minutes", "inf"], "--minutes must be"),
    (["demo", "--headless", "--minutes", "nan"], "--minutes must be"),
    (["demo", "--headless", "--speed", "0"], "--speed must be"),
    (["demo", "--headless", "--seed", "1_0"], "'1_0' is not a seed"),
    (["demo", "--caller", "٢"], "is not a window number"),
    # commands added after #19: ids past SQLite's INTEGER, far or backwards dates, empty words
    (["ratings", "follow-up", "99999999999999999999999999"], "is too large a number"),
    (["ratings", "follow-up", "9223372036854775808"], "is too large a number"),
    (["bookings", "lift", "99999999999999999999", "--reason", "no show"], "is too large a number"),
    (["ratings", "indicators", "--month", "9999-12"], "dates run from 2000-01-01"),
    (["ratings", "indicators", "--month", ""], "--month is empty"),
    (["ratings", "indicators", "--from", "2026-05-01", "--to", "2026-01-01"], "is after --to"),
    (["ratings", "export", "--from", "2026-03-01", "--to", "2026-01-01"], "is after --to"),
    (["ratings", "export", "-o", "/proc/x"], "cannot write /proc/x"),
    (["ratings", "rate", "A001", "٣"], "is not a whole number"),
    (["bookings", "slots", "A", "--day", "0001-01-01"], "dates run from 2000-01-01"),
    (["bookings", "list", "--day", "9999-12-31"], "dates run from 2000-01-01"),
    (["bookings", "list", "--day", "2026-02-30"], "is not a date"),
    (["bookings", "list", "--service", "ZZ"], "unknown service 'ZZ'"),
    (["guide", "search", " "], "give a word to search for"),
    (["guide", "search", "x", "--server", "http://127.0.0.1:99999"], "大厅服务器要写成 http://192.168.1.10:8080 这样的地址"),
    (["guide", "show", "X1", "--server", "notaurl"], "the hall server must be an address"),
    (["guide", "import", "/nonexistent/guide.csv"], "/nonexistent/guide.csv"),
    (["guide", "export", "/proc/x.xlsx"], "/proc/x.xlsx"),
    (["restore", "/dev/null"], ""),
    (["ship", "--seconds", "nan"], ""),
    (["devices", "add", "k1", "--role", "caller", "--window", "99999999999999999999"], ""),
]


@pytest.mark.parametrize("args,words", CASES, ids=[" ".join(a) or "(nothing)" for a, _ in CASES])
def test_malformed_invocation_exits_2_with_one_line(hall, args, words):
    assert_one_line(run(hall, *args, cwd=hall), words)


ZH_CASES = [  # the technician reads the Chinese first; the English follows in brackets
    (["report", "--from", "2026-03-01", "--to", "2026-01-01"],
     "开始日期晚于结束日期 (--from 2026-03-01 is after --to 2026-01-01)"),
    (["report", "--month", "2026-13"], "不是月份 (not a month): '2026-13'"),
    (["report", "--month", "2026-10", "--from", "2026-10-01"], "--month 和 --from/--to 只能用一种 (give either"),
    (["report", "--hall", "X"], "--hall 要和 --city 一起用"),
    (["report", "--city", "mysql://x"], "--city 要写 postgresql:// 地址"),
    (["report", "--by", "weather"], "jiaohao report: 命令写得不对，用法见 jiaohao report --help (usage error: argument"),
    (["ratings", "export", "--from", "2026-13-01"], "不是日期，请用 YYYY-MM-DD"),
    (["ratings", "indicators", "--from", "2026-01-01"], "--from 和 --to 都要给 (give both --from and --to)"),
    (["bookings", "list", "--service", "ZZ"], "没有这个业务 'ZZ'，本大厅的业务是 (unknown service 'ZZ'"),
    (["guide", "show", "NOPE"], "没有办事指南事项 'NOPE'"),
    (["guide", "import", "/nonexistent/guide.csv"], "文件不存在 (file not found)"),
    (["guide", "export", "/tmp/x.csv"], "请给出 .xlsx 文件名 (give a .xlsx file name)"),
    (["guide", "search", " "], "请给出要查的词，如 社保、shebao 或 sb (give a word to search for, e.g. 社保, shebao or sb)"),
    (["guide", "export", "/nonexistent/g.xlsx"], "/nonexistent: 没有这个文件夹 (no such folder)"),
    (["guide", "export", "/proc/x.xlsx"], "/proc/x.xlsx: 写不了 (cannot write: "),
    (["guide", "import", "/tmp"], "/tmp: 是文件夹，请给出 .xlsx 或 .csv 文件 (is a folder: give an .xlsx or .csv file)"),
    (["ship", "--once"], "里没有 [city] database：请加上"),
    (["city", "indicators", "postgresql://127.0.0.1:9/x", "--from", "2026-03-01", "--to", "2026-01-01"],
     "开始日期晚于结束日期 (--from 2026-03-01 is after --to 2026-01-01)"),
    (["screen", "--windows", "5-1", "--screenshot", "x.png"],
     "--windows '5-1': 范围 5-1 要从小写到大，如 1-5 (range 5-1 runs backwards)"),
    (["bookings", "list", "--day", "9999-12-31"], "--day：9999-12-31 不行，日期须在 2000-01-01 至 2099-12-31 之间；用法见"),
    (["bookings", "list", "--day", "2026-02-30"],
     "jiaohao bookings list: 命令写得不对，--day：'2026-02-30' 不是日期，请写成 2026-11-30 这样；用法见 jiaohao bookings "
     "list --help (usage error: argument --day: '2026-02-30' is not a date like 2026-11-30)"),
    (["diag", "board", "--index", "1_0"], "命令写得不对，--index：'1_0' 不是整数（只能用数字 0-9）；用法见 "),
    (["queue", "call", "0"], "命令写得不对，window：窗口号要在 1-9999 之间，不是 0；用法见 jiaohao queue call --help (usage "
                             "error: argument window: window number must be 1-9999, not 0)"),
    (["queue", "rate", "1", "５"], "命令写得不对，score：'５' 不是评分（数字 0-9，1-5）；"),
    (["ratings", "follow-up", "99999999999999999999999999"], "：99999999999999999999999999 这个数太大了；用法见 "),
    (["queue", "pause", "1", "--reason", "nap"], "命令写得不对，--reason：暂停原因“nap”无效，可选：离岗、午休、会议；"),
    (["diag", "screen", "--bus", "floor1", "--address", "999", "--text", "x"], "--address：总线地址要在 1-247 之间，不是 999；"),
    (["ratings", "follow-up", "1", "verify"], "请写明谁做这一步：--by 工号 (say who takes the step: --by STAFF)"),
    (["ratings", "follow-up", "1", "verify", "--by", "9001"], "请写明做了什么：--note 说明 (say what was done"),
]


@pytest.mark.parametrize("args,words", ZH_CASES, ids=[" ".join(a) for a, _ in ZH_CASES])
def test_command_errors_are_chinese_first(hall, args, words):
    p = run(hall, *args, cwd=hall)
    assert_one_line(p, words)
    first_zh = next(i for i, ch in enumerate(p.stderr) if "\u4e00" <= ch <= "\u9fff")
    assert first_zh < p.stderr.index(" ("), p.stderr  # the Chinese comes before the English


@pytest.mark.parametrize("now,words", [
    ("garbage", "JIAOHAO_NOW='garbage' is not a date and time"),
    ("2026-13-01T09:00", "is not a date and time"),
    ("2026-11-23T09:00+99:00", "is not a date and time"),
    ("9999-12-31T23:59:59", "dates run from 2000-01-01"),
    ("0001-01-01T09:00", "dates run from 2000-01-01"),
])
@pytest.mark.parametrize("command", [["queue", "status"], ["queue", "issue", "A"], ["report"]])
def test_a_malformed_jiaohao_now_exits_2_with_one_line(hall, now, words, command):
    assert_one_line(run(hall, *command, env_extra={"JIAOHAO_NOW": now}), words)


def test_a_ticket_still_being_served_is_not_rated(tmp_path):
    run(tmp_path, "queue", "issue", "A")
    run(tmp_path, "queue", "call", "1")
    assert_one_line(run(tmp_path, "queue", "rate", "1", "5"), "A001 is still being served")


def test_finish_on_a_paused_window_keeps_it_paused_and_resume_works(tmp_path):
    run(tmp_path, "queue", "issue", "A")
    run(tmp_path, "queue", "call", "1")
    run(tmp_path, "queue", "pause", "1", "--reason", "lunch")
    assert run(tmp_path, "queue", "finish", "1").returncode == 0
    assert " 1 暂停 paused " in " ".join(run(tmp_path, "queue", "status").stdout.split())
    resumed = run(tmp_path, "queue", "resume", "1")
    assert resumed.returncode == 0 and "window 1: idle" in resumed.stdout


@pytest.mark.parametrize("args", [["queue", "status"], ["report", "--format", "csv"]])
def test_output_into_a_closed_pipe_ends_quietly(tmp_path, args):
    run(tmp_path, "queue", "issue", "A")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head -0`) is gone before we write
    try:
        p = run(tmp_path, *args, stdout=write_end)
    finally:
        os.close(write_end)
    assert p.returncode == 141 and p.stderr == ""


def _small_files():
    import resource
    resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000))  # a disk that fills after 4 KB (Python ignores SIGXFSZ)


@pytest.mark.parametrize("old", [None, "yesterday's report"], ids=["new-file", "old-file-kept"])
def test_a_report_that_does_not_fit_leaves_no_partial_file(hall, tmp_path, old):
    out = tmp_path / "out"
    out.mkdir()
    if old is not None:
        (out / "r.html").write_text(old)
    p = run(hall, "report", "--format", "html", "-o", str(out / "r.html"), preexec_fn=_small_files)
    assert_one_line(p, f"写不了文件 (cannot write {out / 'r.html'}): File too large")
    assert [f.name for f in out.iterdir()] == ([] if old is None else ["r.html"])  # no 0-byte or half file
    if old is not None:
        assert (out / "r.html").read_text() == old


@pytest.mark.parametrize("name, password, words", [
    ("张\x1b[2J三", "password123", "a staff member's name cannot hold control characters"),
    ("张三", "x" * 300, "密码须为 8-200 个字符"),  # the Chinese said "at least 8" for a password too long
])
def test_staff_add_refuses_in_both_languages(hall, name, password, words):
    p = run(hall, "staff", "add", "s9", "--name", name, "--role", "staff", "--password-stdin", input=password + "\n")
    assert_one_line(p, words)


@pytest.mark.parametrize("body, kind", [(b"<html>proxy log-in</html>", "text/html"),
                                        (b'{"status": "ok"}', "application/json"), (b"[1, 2]", "application/json")])
def test_a_server_address_that_is_not_a_hall_server_is_one_line(tmp_path, body, kind):
    """--server at another program's port (a proxy's log-in page, a printer's web page): each
    answer was a traceback (JSONDecodeError, KeyError 'toml', TypeError)."""
    import http.server
    import threading

    class Other(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        (tmp_path / "token").write_text("t0ken\n")
        for args in (["queue", "status"], ["guide", "search", "shebao"]):
            p = run(tmp_path, *args, env_extra={"JIAOHAO_SERVER": url, "JIAOHAO_TOKEN_FILE": str(tmp_path / "token")})
            assert_one_line(p, f"{url} is not a jiaohao hall server (its /api/v1/config answered 200, {kind})")
    finally:
        server.shutdown()
        server.server_close()
