"""Appointments from CSV (`jiaohao appointments import`): every error names its line,
nothing is imported from a bad file, Excel's GBK files are read; then kiosk check-in."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import pytest

from hall import UnknownTicket
from kiosk.appointments import AppointmentFileError, decode, import_file, parse_appointments, parse_slot

GOOD = "code,service,slot,name\nYY001,A,2026-11-23 09:30,张三\nYY002,社会保障,2026-11-23T10:00,李四\n"


def test_good_file(demo_config):
    appts = parse_appointments(GOOD, demo_config, "a.csv")
    assert [(a.code, a.service, a.slot, a.name, a.line) for a in appts] == [
        ("YY001", "A", datetime(2026, 11, 23, 9, 30), "张三", 2),
        ("YY002", "A", datetime(2026, 11, 23, 10, 0), "李四", 3)]


def test_columns_in_any_order_name_optional_blank_lines_skipped(demo_config):
    text = "Slot, Code ,SERVICE\n\n2026-11-23 09:30,YY9,c\n"
    (a,) = parse_appointments(text, demo_config, "a.csv")
    assert (a.code, a.service, a.name, a.line) == ("YY9", "C", "", 3)


@pytest.mark.parametrize("text, expected", [
    ("", ["a.csv: 文件是空的，第一行应是表头 code,service,slot,name "
          "(the file is empty (expected a header line: code,service,slot,name))"]),
    ("code,service,name\nYY1,A,x\n", ["a.csv:1: 缺少列 slot，表头应为 code,service,slot,name "
                                      "(missing column(s) slot (expected code,service,slot,name))"]),
    ("code,service,slot,phone\n", ["a.csv:1: 不认识的列 phone，表头应为 code,service,slot,name "
                                   "(unknown column(s) phone (expected code,service,slot,name))"]),
    ("code,service,slot,name\nYY1,Z,2026-11-23 09:30,x\n",
     ["a.csv:2: 业务 'Z' 不是本大厅的业务代码或名称（A、B、C、D、E、F、G、H） "
      "(service 'Z' is not a service code or name of this hall (A, B, C, D, E, F, G, H))"]),
    ("code,service,slot,name\nYY1,A,23/11/2026 9am,x\n",
     ["a.csv:2: 时段 '23/11/2026 9am' 不是日期和时间，应形如 2026-11-23 09:30 "
      "(slot '23/11/2026 9am' is not a date and time like 2026-11-23 09:30)"]),
    ("code,service,slot,name\n,A,2026-11-23 09:30,x\n", ["a.csv:2: 预约码是空的 (code is empty)"]),
    ("code,service,slot,name\nY Y,A,2026-11-23 09:30,x\n",
     ["a.csv:2: 预约码 'Y Y' 须为 3-32 个字母、数字或 '-' (code 'Y Y' must be 3-32 letters, digits or '-')"]),
    ("code,service,slot,name\nYY1,A,2026-11-23 09:30,x\nYY1,B,2026-11-23 10:00,y\n",
     ["a.csv:3: 预约码 YY1 在第 2 行已有 (code YY1 is already on line 2)"]),
    ("code,service,slot,name\nYY1,A,2026-11-23 09:30,x,extra\n",
     ["a.csv:2: 这一行有 5 格，表头只有 4 格 (5 fields, the header has 4)"]),
])
def test_errors_name_the_line(demo_config, text, expected):
    with pytest.raises(AppointmentFileError) as e:
        parse_appointments(text, demo_config, "a.csv")
    assert e.value.errors == expected


def test_every_error_is_reported_at_once(demo_config):
    text = "code,service,slot,name\nYY1,Z,2026-11-23 09:30,\nYY2,A,tomorrow,\nYY3,A,2026-11-23 09:30,ok\n"
    with pytest.raises(AppointmentFileError) as e:
        parse_appointments(text, demo_config, "a.csv")
    assert [m.split(":")[1] for m in e.value.errors] == ["2", "3"]


def test_a_field_over_two_lines_is_refused_and_line_numbers_stay_right(demo_config):
    """A name never holds a line break: a quote running over lines is a quote not closed."""
    text = 'code,service,slot,name\nYY1,A,2026-11-23 09:30,"two\nlines"\nYY2,Q,2026-11-23 09:30,x\n'
    with pytest.raises(AppointmentFileError) as e:
        parse_appointments(text, demo_config, "a.csv")
    assert e.value.errors[0] == ('a.csv:2: name: 引号没有关上：这一格一直延续到第 3 行（请补上引号；格内的引号要写两次 ""） '
                                 '(a quote is not closed: the field runs on to line 3 '
                                 '(close the quote; a quote inside a field is written twice, ""))')
    assert e.value.errors[1].startswith("a.csv:4: 业务 'Q'")


def test_decode_utf8_bom_and_gbk():
    assert decode("\ufeffcode,name\n1,张三".encode("utf-8")) == "code,name\n1,张三"
    assert decode("code,name\n1,张三".encode("gbk")) == "code,name\n1,张三"


@pytest.mark.parametrize("text", ["2026-11-23 09:30", "2026-11-23T09:30", "2026/11/23 09:30", "2026-11-23 09:30:00"])
def test_slot_formats(text):
    assert parse_slot(text) == datetime(2026, 11, 23, 9, 30)


def test_import_then_check_in(queue, tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_bytes(GOOD.encode("gbk"))
    assert len(import_file(path, queue)) == 2
    t = queue.check_in("YY001", kiosk="k1")
    assert (t.kind, t.service, t.appointment) == ("appointment", "A", "YY001")


def test_a_bad_file_imports_nothing(queue, tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_text(GOOD + "YY003,A,never,王五\n", encoding="utf-8")
    with pytest.raises(AppointmentFileError) as e:
        import_file(path, queue)
    assert e.value.errors == [f"{path}:4: 时段 'never' 不是日期和时间，应形如 2026-11-23 09:30 "
                              "(slot 'never' is not a date and time like 2026-11-23 09:30)"]
    with pytest.raises(UnknownTicket):
        queue.check_in("YY001")


def run(tmp_path, *args):
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "cli.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00:00"}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_cli_import(tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_text(GOOD, encoding="utf-8-sig")
    p = run(tmp_path, "appointments", "import", str(path), "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["imported"] == 2 and out["appointments"][0] == {
        "code": "YY001", "service": "A", "slot": "2026-11-23T09:30", "name": "张三"}
    p = run(tmp_path, "queue", "status", "--json")
    assert p.returncode == 0


def test_cli_errors_name_the_lines_and_exit_2(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,service,slot,name\nYY1,Z,2026-11-23 09:30,x\nYY2,A,noon,y\n", encoding="utf-8")
    p = run(tmp_path, "appointments", "import", str(path))
    assert p.returncode == 2 and p.stdout == ""
    assert "2 处问题，未导入任何记录 (2 problems, nothing imported)" in p.stderr
    assert f"{path}:2: 业务 'Z'" in p.stderr and "(service 'Z'" in p.stderr
    assert f"{path}:3: 时段 'noon'" in p.stderr and "(slot 'noon'" in p.stderr
    p = run(tmp_path, "appointments", "import", str(tmp_path / "missing.csv"))
    assert p.returncode == 2 and "读不了这个文件 (cannot read" in p.stderr and "nothing imported" in p.stderr


def test_cli_check_only(tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_text(GOOD, encoding="utf-8")
    p = run(tmp_path, "appointments", "import", str(path), "--check")
    assert p.returncode == 0 and p.stdout.startswith("已检查 2 条预约（2026-11-23） (checked 2 appointment(s) for 2026-11-23)")


@pytest.mark.parametrize("typed, code", [
    ("yy2026001", "YY2026001"),
    ("  YY-1  ", "YY-1"),
    ("https://zwfw.example.gov.cn/check-in?code=yy2026001&src=sms", "YY2026001"),
    ("https://zwfw.example.gov.cn/a/YY2026002", "YY2026002"),
    ("https://zwfw.example.gov.cn/", ""),
])
def test_scanned_code(typed, code):
    from kiosk.appointments import scanned_code
    assert scanned_code(typed) == code
