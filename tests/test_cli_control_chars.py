"""Typed control characters (ESC sequences, an RTL override, CR, BEL) are shown escaped
(\\x1b, \\u202e) in every error line that repeats what was typed, never sent to the
terminal raw: one helper (jiaohao.commands.inputs.printable) at the places the command
prints its errors and notices. (NUL cannot be passed in argv: its case is the stdin and
file inputs, which refuse it by name.)"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from jiaohao.commands.inputs import printable

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f\x80-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
ESC, RTL = "\x1b[2J\x1b]0;owned\x07", "\u202e"


def _jiaohao(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "jiaohao", "--db", str(tmp_path / "hall.sqlite"), *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, "JIAOHAO_NOW": "2026-11-23T10:00"})


CASES = [
    ("devices", "add", f"kiosk{ESC}", "--role", "kiosk"),
    ("devices", "add", f"k{RTL}1", "--role", "kiosk"),
    ("devices", "revoke", f"k{ESC}"),
    ("staff", "add", f"05{ESC}17", "--name", "x", "--role", "staff"),
    ("staff", "disable", f"05{ESC}"),
    ("staff", "enable", f"05{RTL}"),
    ("queue", "issue", f"A{ESC}"),
    ("queue", "call", f"1{ESC}"),
    ("queue", "status", "--format", f"x{ESC}"),
    ("report", "--from", f"2026{ESC}"),
    ("ratings", "export", "--from", f"x{RTL}"),
    ("--config", f"/tmp/x{ESC}.toml", "queue", "status"),
    ("bookings", "list", "--day", f"x\r{ESC}"),
    (f"no-such-command{ESC}",),
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a)[:30].encode("unicode_escape").decode() for a in CASES])
def test_an_error_line_shows_typed_control_characters_escaped(tmp_path, args):
    r = _jiaohao(tmp_path, "queue", "issue", "A")  # a hall to refuse against
    assert r.returncode == 0, r.stderr
    r = _jiaohao(tmp_path, *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and r.stderr.strip()
    assert not RAW.search(r.stderr), repr(r.stderr)
    assert "\\x1b" in r.stderr or "\\u202e" in r.stderr, r.stderr  # shown, so the user sees what was typed


@pytest.mark.parametrize("text, shown", [
    ("a\x1b[31mb", "a\\x1b[31mb"), ("\x00", "\\x00"), ("x\u202ey", "x\\u202ey"), ("a\rb\tc", "a\\rb\\tc"),
    ("\x9b", "\\x9b"), ("zero\u200bwidth", "zero\\u200bwidth"), ("\U000e0041", "\\U000e0041"),
    ("张三　李四 ok", "张三　李四 ok"), ("two\nlines", "two\nlines"),
])
def test_printable(text, shown):
    assert printable(text) == shown


def test_human_output_shows_stored_words_escaped(capsys):
    from argparse import Namespace

    from jiaohao.cli import emit
    emit(Namespace(json=False), {}, f"lifted suspension #1: 本人住院{ESC}\nsecond line")
    out = capsys.readouterr().out
    assert not RAW.search(out) and "本人住院\\x1b[2J" in out and "\nsecond line" in out
