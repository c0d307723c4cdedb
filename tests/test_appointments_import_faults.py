"""`jiaohao appointments import` on the files a hall really gets, and under faults.

Every bad file is refused with its line (and column where there is one), through
import_file() and through the command (exit 2, one line, no traceback), and nothing is
imported. The import is one transaction: a SIGKILL or a Ctrl-C in the middle of
100,000 rows, or a bad row in the middle, leaves nothing; a clean run leaves everything.
"""
from __future__ import annotations

import gzip
import io
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from hall import UnknownTicket
from kiosk.appointments import AppointmentFileError, import_file, scanned_code

HEADER = "code,service,slot,name\n"
GOOD = HEADER + "YY001,A,2026-11-23 09:30,张三\nYY002,社会保障,2026-11-23T10:00,李四\n"
SAVE_AS = "save it as UTF-8 (Excel: File › Save As › CSV UTF-8 (Comma delimited))"
SAVE_AS_ZH = "请另存为 UTF-8（Excel：文件 › 另存为 › CSV UTF-8（逗号分隔））"


def xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


def rows(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


# id, the file's bytes, the one error, Chinese first (FILE stands for the path)
BAD = [
    ("xlsx-named-csv", xlsx(),
     f"FILE: 这是Excel 工作簿（.xlsx）或其他 ZIP 压缩包，不是 CSV 文本；{SAVE_AS_ZH} "
     f"(this is an Excel workbook (.xlsx) or another ZIP archive, not CSV text; {SAVE_AS})"),
    ("old-xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
     f"FILE: 这是旧版 Excel 工作簿（.xls），不是 CSV 文本；{SAVE_AS_ZH} "
     f"(this is an old Excel workbook (.xls), not CSV text; {SAVE_AS})"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)),
     f"FILE: 这是PNG 图片，不是 CSV 文本；{SAVE_AS_ZH} (this is a PNG image, not CSV text; {SAVE_AS})"),
    ("gzip", gzip.compress(GOOD.encode()),
     f"FILE: 这是gzip 压缩文件（请先解压），不是 CSV 文本；{SAVE_AS_ZH} "
     f"(this is a gzip-compressed file (unpack it first), not CSV text; {SAVE_AS})"),
    ("utf16-without-bom", GOOD.encode("utf-16-le"),
     f"FILE: 这像是没有字节顺序标记（BOM）的 UTF-16 文本；{SAVE_AS_ZH} "
     f"(this looks like UTF-16 text without its byte-order mark; {SAVE_AS})"),
    ("utf16-bom-truncated", GOOD.encode("utf-16")[:-1],
     f"FILE:3: 第 4 列（name） (column 4): 文件标明是 UTF-16，这里却不是有效的 UTF-16；{SAVE_AS_ZH} "
     f"(the file says it is UTF-16 but is not valid UTF-16 here; {SAVE_AS})"),
    ("utf8-bom-then-gbk", b"\xef\xbb\xbf" + rows("YY001,A,2026-11-23 09:30,张三").encode("gbk"),
     f"FILE:2: 第 4 列（name） (column 4): 文件标明是 UTF-8，这里却不是有效的 UTF-8；{SAVE_AS_ZH} "
     f"(the file says it is UTF-8 but is not valid UTF-8 here; {SAVE_AS})"),
    ("not-text", HEADER.encode() + b"YY001,A,2026-11-23 09:30,\x81\x20\n",
     "FILE:2: 第 4 列（name） (column 4): 字节 81 20 既不是 UTF-8 也不是 GBK/GB18030（是 Big5、Shift-JIS，还是根本不是文本？）；"
     f"{SAVE_AS_ZH} (the bytes 81 20 are neither UTF-8 nor GBK/GB18030 (is it Big5, Shift-JIS or "
     f"not text at all?); {SAVE_AS})"),
    ("big5", rows("YY001,A,2026-11-23 09:30,張三", "YY002,A,2026-11-23 10:00,陳大文").encode("big5"),
     "FILE:2: 第 4 列（name） (column 4): 文件不是 UTF-8，按 GBK 读出来是 '\\ue5fa'，不是中文：可能是 Big5（繁体中文）或 "
     f"Shift-JIS（日文）；{SAVE_AS_ZH} (the file is not UTF-8, and read as GBK it gives '\\ue5fa', which is no "
     f"Chinese text: it may be Big5 (Traditional Chinese) or Shift-JIS (Japanese); {SAVE_AS})"),
    ("shift-jis", rows("YY001,A,2026-11-23 09:30,山田太郎", "YY002,A,2026-11-23 10:00,鈴木一郎").encode("shift_jis"),
     "FILE:2: 第 4 列（name） (column 4): 文件不是 UTF-8，按 GBK 读出来是 '嶳揷懢榊'，不是中文：可能是 Big5（繁体中文）或 "
     f"Shift-JIS（日文）；{SAVE_AS_ZH} (the file is not UTF-8, and read as GBK it gives '嶳揷懢榊', which is no "
     f"Chinese text: it may be Big5 (Traditional Chinese) or Shift-JIS (Japanese); {SAVE_AS})"),
    ("shift-jis-kana", rows("YY001,A,2026-11-23 09:30,すずき はなこ").encode("shift_jis"),
     "FILE:2: 第 4 列（name） (column 4): 文件不是 UTF-8，按 GBK 读出来是"),
    ("year-0001", rows("YY001,A,0001-01-01 09:30,张三").encode(),
     "FILE:2: 时段 '0001-01-01 09:30' 不是预约日期：年份须在 2000-2099 之间 "
     "(slot '0001-01-01 09:30' is not a booking date: the year must be 2000-2099)"),
    ("year-9999", rows("YY001,A,9999-12-31 23:59,张三").encode(),
     "FILE:2: 时段 '9999-12-31 23:59' 不是预约日期：年份须在 2000-2099 之间 "
     "(slot '9999-12-31 23:59' is not a booking date: the year must be 2000-2099)"),
    ("february-30", rows("YY001,A,2026-02-30 09:30,张三").encode(),
     "FILE:2: 时段 '2026-02-30 09:30' 不是日期和时间，应形如 2026-11-23 09:30 "
     "(slot '2026-02-30 09:30' is not a date and time like 2026-11-23 09:30)"),
    ("arabic-digits", rows("YY001,A,٢٠٢٦-11-23 09:30,张三").encode(),
     "FILE:2: 时段 '٢٠٢٦-11-23 09:30' 不是日期和时间，应形如 2026-11-23 09:30 "
     "(slot '٢٠٢٦-11-23 09:30' is not a date and time like 2026-11-23 09:30)"),
    ("unterminated-quote", rows('YY001,A,2026-11-23 09:30,"张三', "YY002,A,2026-11-23 10:00,李四").encode(),
     'FILE:2: name: 引号没有关上：这一格一直延续到第 3 行（请补上引号；格内的引号要写两次 ""） '
     '(a quote is not closed: the field runs on to line 3 (close the quote; a quote inside a '
     'field is written twice, ""))'),
    ("codes-differing-in-case", rows("yy001,A,2026-11-23 09:30,张三", "YY001,B,2026-11-23 10:00,李四").encode(),
     "FILE:3: 预约码 YY001 在第 2 行已有（写作 yy001：预约码按大写读，扫码枪和键盘输入的都是大写） "
     "(code YY001 is already on line 2 as yy001 (codes are read in capitals, as scanners and the "
     "keypad type them))"),
    ("duplicated-column", b"code,service,slot,code\nYY001,A,2026-11-23 09:30,YY002\n",
     "FILE:1: 列 code 出现了两次（第 1 和 4 列），表头应为 code,service,slot,name "
     "(column code is there twice (columns 1 and 4) (expected code,service,slot,name))"),
    ("nul-byte", rows("YY001,A,2026-11-23 09:30,张\x00三").encode(),
     "FILE:2: name: 第 2 个字符是空字节（U+0000）：这真的是 CSV 文本文件吗？ "
     "(contains a NUL byte (U+0000) at character 2: is this really a CSV text file?)"),
    ("nul-in-code", rows("YY\x00001,A,2026-11-23 09:30,张三").encode(),
     "FILE:2: code: 第 3 个字符是空字节（U+0000）：这真的是 CSV 文本文件吗？ "
     "(contains a NUL byte (U+0000) at character 3: is this really a CSV text file?)"),
    ("control-character", rows("YY001,A,2026-11-23 09:30,张\x1b[31m三").encode(),
     "FILE:2: name: 第 2 个字符是控制字符（U+001B）：这真的是 CSV 文本文件吗？ "
     "(contains a control character (U+001B) at character 2: is this really a CSV text file?)"),
    # a cell with no header name, and a header cell, are named by their column's number
    ("nul-under-no-header", b"code,service,slot,\nYY001,A,2026-11-23 09:30,\xe5\xbc\xa0\x00\n",
     "FILE:2: 第 4 列 (column 4): 第 2 个字符是空字节（U+0000）：这真的是 CSV 文本文件吗？ "
     "(contains a NUL byte (U+0000) at character 2: is this really a CSV text file?)"),
    ("nul-in-header", b"code,service,slot,na\x00me\nYY001,A,2026-11-23 09:30,x\n",
     "FILE:1: 第 4 列 (column 4): 第 3 个字符是空字节（U+0000）：这真的是 CSV 文本文件吗？ "
     "(contains a NUL byte (U+0000) at character 3: is this really a CSV text file?)"),
]


@pytest.fixture
def db(queue):
    """The queue fixture's database (an existing hall, clock 2026-11-23 09:00 as JIAOHAO_NOW below)."""
    return Path(queue.path)


def count(db) -> int:
    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT count(*) FROM appointments").fetchone()[0]
    finally:
        c.close()


def cli(tmp_path, db, *args, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": "2026-11-23T09:00:00"}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, env=env,
                          timeout=120, **kw)


@pytest.mark.parametrize("data, error", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_bad_file_is_refused_with_its_line_and_nothing_is_imported(tmp_path, db, queue, data, error):
    path = tmp_path / "bookings.csv"
    path.write_bytes(data)
    expected = error.replace("FILE", str(path))
    with pytest.raises(AppointmentFileError) as e:
        import_file(path, queue)
    assert len(e.value.errors) == 1 and e.value.errors[0].startswith(expected), e.value.errors
    p = cli(tmp_path, db, "appointments", "import", str(path))
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.startswith(f"jiaohao: {expected}") and p.stderr.endswith(" (nothing imported)\n"), p.stderr
    assert len(p.stderr.splitlines()) == 1
    assert count(db) == 0


@pytest.mark.parametrize("data", [
    GOOD.encode("utf-8"), GOOD.encode("utf-8-sig"), GOOD.encode("utf-16"), b"\xfe\xff" + GOOD.encode("utf-16-be"), GOOD.encode("utf-32"), GOOD.encode("gbk"), GOOD.encode("gb18030"),
    GOOD.replace("\n", "\r\n").encode(), GOOD.replace("\n", "\r").encode("gbk"),  # CR only: old Mac Excel
    GOOD.rstrip("\n").encode(), GOOD.replace(",", "\t").replace("\n", "\r\n").encode("utf-16"),
], ids=["utf8", "utf8-bom", "utf16-bom", "utf16be-bom", "utf32-bom", "gbk", "gb18030", "crlf",
        "cr-only", "no-final-newline", "excel-unicode-text"])
def test_encodings_and_line_ends_that_are_read(tmp_path, queue, data):
    path = tmp_path / "bookings.csv"
    path.write_bytes(data)
    appts = import_file(path, queue)
    assert [(a.code, a.service, a.name, a.line) for a in appts] == [("YY001", "A", "张三", 2), ("YY002", "A", "李四", 3)]


def test_a_gbk_file_with_a_rare_character_in_a_name_is_not_taken_for_big5(tmp_path, queue):
    path = tmp_path / "bookings.csv"
    path.write_bytes(rows("YY001,A,2026-11-23 09:30,陈喆", "YY002,A,2026-11-23 10:00,王堃",
                          "YY003,A,2026-11-23 10:30,李娜").encode("gbk"))
    assert [a.name for a in import_file(path, queue)] == ["陈喆", "王堃", "李娜"]


def test_lower_case_codes_are_stored_in_capitals_and_check_in_however_typed(tmp_path, queue):
    """Scanners and the kiosk keypad type capitals: a code booked as yy001 must still check in."""
    path = tmp_path / "bookings.csv"
    path.write_text(rows("yy001,A,2026-11-23 09:30,张三", "Yy002,A,2026-11-23 09:30,李四",
                         "yy003,A,2026-11-23 09:30,王五"), encoding="utf-8")
    assert [a.code for a in import_file(path, queue)] == ["YY001", "YY002", "YY003"]
    with sqlite3.connect(queue.path) as c:
        assert [r[0] for r in c.execute("SELECT code FROM appointments ORDER BY code")] == ["YY001", "YY002", "YY003"]
    assert queue.check_in("YY001").appointment == "YY001"  # the keypad / a scanner
    assert queue.check_in(" yy002 ").appointment == "YY002"  # typed on a keyboard
    url = scanned_code("https://zwfw.example.gov.cn/check-in?code=yy003")  # a booking QR code
    assert queue.check_in(url).appointment == "YY003"
    with pytest.raises(UnknownTicket):
        queue.check_in("yy004")


def test_the_kiosk_explains_a_refused_check_in_whatever_the_case(tmp_path, queue, demo_config, clock):
    from hall.snapshot import HallReader
    path = tmp_path / "bookings.csv"
    path.write_text(rows("yy001,A,2026-11-24 09:30,张三"), encoding="utf-8")
    import_file(path, queue)
    reader = HallReader(queue.path, demo_config, clock)
    try:
        assert reader.appointment("yy001").day == "2026-11-24"
    finally:
        reader.close()


def test_a_named_pipe_is_refused_without_hanging(tmp_path, db):
    path = tmp_path / "bookings.csv"
    os.mkfifo(path)
    p = cli(tmp_path, db, "appointments", "import", str(path))
    assert (p.returncode, p.stderr) == (2, f"jiaohao: {path}: 是命名管道，不是 CSV 文件 (is a named pipe, not a CSV file)；"
                                            "未导入任何记录 (nothing imported)\n")
    p = cli(tmp_path, db, "appointments", "import", str(tmp_path))
    assert (p.returncode, p.stderr) == (2, f"jiaohao: {tmp_path}: 是文件夹，不是 CSV 文件 (is a folder, not a CSV file)；"
                                            "未导入任何记录 (nothing imported)\n")


def test_a_file_wrong_on_every_line_stops_at_100_problems(tmp_path, db):
    path = tmp_path / "bookings.csv"
    path.write_text(rows(*(f"YY{i:05d},A,tomorrow,x" for i in range(5000))), encoding="utf-8")
    p = cli(tmp_path, db, "appointments", "import", str(path))
    lines = p.stderr.splitlines()
    assert p.returncode == 2 and lines[0] == "jiaohao: 超过 100 处问题，未导入任何记录 (over 100 problems, nothing imported):"
    assert len(lines) == 102 and lines[-1] == (f"  {path}: 发现 100 处问题后停止检查；请改正这些后再检查 "
                                             "(stopped after 100 problems; fix these and check again)")


ROOT = Path(__file__).resolve().parents[1]  # the wrapper below runs this checkout's jiaohao


# -- one transaction ------------------------------------------------------------------------------------
N = 100_000

# Runs `jiaohao appointments import` with sqlite3 connections that report, on stdout, when the
# 50,000th appointment row goes to the database and then wait there: the test kills the
# process at exactly that point, whatever way the import writes its rows.
WRAPPER = textwrap.dedent("""\
    import runpy, sqlite3, sys, time
    HALF = int(sys.argv[1])
    written = 0

    def tick():
        global written
        written += 1
        if written == HALF:
            print("HALF", flush=True)
            time.sleep(60)

    def counted(rows):
        for row in rows:
            tick()
            yield row

    class Connection(sqlite3.Connection):
        def execute(self, sql, *args):
            if "INTO appointments" in sql:
                tick()
            return super().execute(sql, *args)

        def executemany(self, sql, rows):
            return super().executemany(sql, counted(rows) if "INTO appointments" in sql else rows)

    real = sqlite3.connect
    sqlite3.connect = lambda *a, **kw: real(*a, **{"factory": Connection, **kw})
    sys.argv = ["jiaohao", *sys.argv[2:]]
    runpy.run_module("jiaohao", run_name="__main__")
""")


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "bookings.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        f.writelines(f"YY{i:07d},{'ABCDEFGH'[i % 8]},2026-11-23 {9 + i % 8:02d}:{i % 60:02d},市民{i}\n"
                     for i in range(N))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_mid_import_leaves_nothing_then_a_full_run_leaves_everything(tmp_path, db, big_csv, sig):
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER, encoding="utf-8")
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": "2026-11-23T09:00:00",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("JIAOHAO_CONFIG", None)
    proc = subprocess.Popen([sys.executable, str(wrapper), str(N // 2), "appointments", "import", str(big_csv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline() == "HALF\n", proc.stderr.read() if proc.poll() is not None else ""
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "Traceback" not in err, err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert count(db) == 0  # nothing: not 28-48 % of the file
    p = cli(tmp_path, db, "appointments", "import", str(big_csv))
    assert p.returncode == 0 and p.stdout == f"已导入 {N} 条预约（2026-11-23） (imported {N} appointment(s) for 2026-11-23)\n", p.stderr
    assert count(db) == N  # everything


@pytest.mark.slow
def test_a_bad_row_in_the_middle_of_100000_leaves_nothing(tmp_path, db, big_csv):
    path = tmp_path / "bookings.csv"
    lines = big_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[N // 2] = "YY9999999,A,0001-01-01 09:30,市民\n"  # datetime.timestamp() fails on year 1
    path.write_text("".join(lines), encoding="utf-8")
    p = cli(tmp_path, db, "appointments", "import", str(path))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr == (f"jiaohao: {path}:{N // 2 + 1}: 时段 '0001-01-01 09:30' 不是预约日期：年份须在 2000-2099 之间 "
                        "(slot '0001-01-01 09:30' is not a booking date: the year must be 2000-2099)"
                        "；未导入任何记录 (nothing imported)\n")
    assert count(db) == 0
