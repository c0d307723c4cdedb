"""The kiosk's PINs without Qt: the hash format, the back-off after wrong PINs (an
injected clock, no sleeping), and `jiaohao pin set` / `config check` / `diag check`
as a technician runs them (real subprocesses, the PIN on stdin)."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

from config import DEMO_HALL, load_hall, parse_hall
from kiosk import flow as F
from kiosk.lockout import MAX_LOCKOUT_SECONDS, PinGuard
from kiosk.pins import hash_pin, pin_problem, verify_pin

from .test_config import GOOD


class Clock:
    """A wall clock that moves only when told."""

    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


# -- the hash -----------------------------------------------------------------------------
def test_hash_format_is_scrypt_with_a_random_salt_and_verifies():
    h = hash_pin("9753")
    scheme, n, r, p, salt, digest = h.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    salt_b, digest_b = base64.b64decode(salt), base64.b64decode(digest)
    assert (len(salt_b), len(digest_b)) == (16, 32)
    # what it says it is: anyone can recompute it with the standard library
    assert hashlib.scrypt(b"9753", salt=salt_b, n=16384, r=8, p=1, dklen=32) == digest_b
    assert "9753" not in h
    assert hash_pin("9753") != h  # a new salt each time
    assert verify_pin("9753", h)
    assert not verify_pin("9752", h) and not verify_pin("", h) and not verify_pin("9753", "")
    assert not verify_pin("9753", h[:-8] + "AAAAAAA=")  # a damaged hash never matches


@pytest.mark.parametrize("pin, ok", [("9753", True), ("24680", True), ("86420317", True), ("123", False),
                                     ("123456789", False), ("12a4", False), ("1234", False), ("7777", False),
                                     ("98765", False), ("2580", False), ("0000", False), ("123456", False)])
def test_weak_or_malformed_pins_are_refused(pin, ok):
    assert (pin_problem(pin) is None) == ok


# -- the back-off ---------------------------------------------------------------------------
def test_three_wrong_pins_lock_for_30_s_then_each_lock_out_doubles_up_to_an_hour():
    clock = Clock()
    g = PinGuard(3, 30, clock=clock)
    lengths = []
    for _ in range(10):
        assert g.locked_for("technician") == 0
        assert [g.failed("technician") for _ in range(3)][:2] == [0, 0]
        left = g.locked_for("technician")
        lengths.append(left)
        clock.t += left - 1
        assert g.locked_for("technician") == 1
        clock.t += 1
    assert lengths == [30, 60, 120, 240, 480, 960, 1920] + [MAX_LOCKOUT_SECONDS] * 3 and MAX_LOCKOUT_SECONDS == 3600
    assert g.locked_for("green") == 0  # each PIN pad role counts on its own
    g.succeeded("technician")  # the right PIN: counting starts again
    assert [g.failed("technician") for _ in range(3)] == [0, 0, 30]


def test_a_brute_force_of_all_pins_now_takes_months():
    """The issue's attacker opened the menu at attempt 2,581 in 0.7 s."""
    clock = Clock()
    g = PinGuard(3, 30, clock=clock)
    start = clock.t
    for _ in range(10_000):
        clock.t += g.locked_for("technician")  # the attacker waits out every lock-out
        g.failed("technician")
    days = (clock.t - start) / 86400
    assert days > 130, days


def test_lock_out_survives_a_restart_and_a_damaged_file_starts_afresh(tmp_path):
    path, clock = tmp_path / "state" / "lockout.json", Clock()
    g = PinGuard(3, 30, path, clock=clock)
    for _ in range(3):
        g.failed("technician")
    g.failed("green")
    clock.t += 10
    again = PinGuard(3, 30, path, clock=clock)  # the kiosk restarted
    assert again.locked_for("technician") == 20
    assert again.attempts_left("green") == 2
    path.write_text("{not json", encoding="utf-8")
    assert PinGuard(3, 30, path, clock=clock).locked_for("technician") == 0


def test_a_clock_stepping_back_never_lengthens_a_lock_out():
    clock = Clock()
    g = PinGuard(3, 30, clock=clock)
    for _ in range(3):
        g.failed("technician")
    clock.t -= 86400
    assert g.locked_for("technician") == 30


def test_while_locked_even_the_right_pin_is_refused_and_not_counted():
    clock = Clock()
    f = F.KioskFlow(technician_pin_hash=hash_pin("9753"), guard=PinGuard(3, 30, clock=clock))
    f.technician()
    assert not f.enter_pin("1111") and f.message.params == {"left": 2}
    assert not f.enter_pin("1112") and f.message.params == {"left": 1}
    assert not f.enter_pin("1113") and f.message.code == F.MSG_PIN_LOCKED
    assert not f.enter_pin("9753") and f.screen == F.TECH_PIN and f.message.code == F.MSG_PIN_LOCKED
    clock.t += 30
    assert f.pin_locked_for() == 0
    assert f.enter_pin("9753") and f.screen == F.TECH_MENU


def test_no_technician_pin_means_no_menu_and_says_so():
    f = F.KioskFlow(technician_pin_hash="")
    f.technician()
    assert f.screen == F.MESSAGE and f.message.code == F.MSG_NO_TECH_PIN
    assert not f.enter_pin("2580") and not f.unlocked
    g = F.KioskFlow(priority_rule="pin", priority_pin_hash="")
    g.green_channel()
    assert g.screen == F.MESSAGE and g.message.code == F.MSG_NO_GREEN_PIN and not g.priority


# -- the commands ----------------------------------------------------------------------------
def jiaohao(tmp_path, *args, stdin: str = "", prefix: list[str] = ()):
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "cli.sqlite")}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([*prefix, sys.executable, "-m", "jiaohao", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


OLD_HALL = GOOD.replace("\n", "\r\n") + ('\r\n# 取号机\r\n[kiosk]\r\nconfirm = true   # 确认一步\r\n'
                                          'technician_pin = "2580"\r\nidle_seconds = 45\r\n\r\n'
                                          '[printer]\r\nurl = "sim://kiosk1"\r\n')


def test_config_check_refuses_a_plain_pin_naming_the_command(tmp_path):
    hall = tmp_path / "hall.toml"
    hall.write_bytes(OLD_HALL.encode())
    p = jiaohao(tmp_path, "--config", str(hall), "config", "check")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert f"{hall}:29: kiosk.technician_pin:" in p.stderr
    assert "`jiaohao pin set --role technician`" in p.stderr


def test_pin_set_replaces_the_plain_pin_keeping_every_other_byte(tmp_path):
    hall = tmp_path / "hall.toml"
    hall.write_bytes(OLD_HALL.encode())
    hall.chmod(0o640)
    p = jiaohao(tmp_path, "--config", str(hall), "pin", "set", "--role", "technician", stdin="9753\n9753\n")
    assert p.returncode == 0, p.stderr
    assert "已设置技术人员密码 (technician PIN set)" in p.stdout and "9753" not in p.stdout + p.stderr
    before, after = OLD_HALL.split("\r\n"), hall.read_bytes().decode().split("\r\n")
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert changed[0][0] == 'technician_pin = "2580"' and changed[0][1].startswith('technician_pin_hash = "scrypt$')
    assert oct(hall.stat().st_mode & 0o777) == "0o640"
    cfg = load_hall(hall)  # it loads, with everything else as it was
    assert verify_pin("9753", cfg.kiosk.technician_pin_hash) and not verify_pin("2580", cfg.kiosk.technician_pin_hash)
    assert (cfg.kiosk.confirm, cfg.kiosk.idle_seconds) == (True, 45)
    # the green channel's staff PIN goes into the same section, and must differ
    same = jiaohao(tmp_path, "--config", str(hall), "pin", "set", "--role", "green", stdin="9753\n")
    assert same.returncode == 2 and "绿色通道工作人员密码不能与技术人员密码相同" in same.stderr and "must differ" in same.stderr
    ok = jiaohao(tmp_path, "--config", str(hall), "pin", "set", "--role", "green", stdin="8642\n")
    assert ok.returncode == 0, ok.stderr
    assert verify_pin("8642", load_hall(hall).kiosk.priority_pin_hash)
    warnings = json.loads(jiaohao(tmp_path, "--config", str(hall), "config", "check", "--json").stdout)["warnings"]
    assert warnings == []


def test_pin_set_adds_a_kiosk_section_when_there_is_none(tmp_path):
    hall = tmp_path / "hall.toml"
    hall.write_text(GOOD.rstrip("\n"), encoding="utf-8")  # no newline at the end either
    p = jiaohao(tmp_path, "--config", str(hall), "pin", "set", "--role", "green", stdin="8642\n")
    assert p.returncode == 0, p.stderr
    text = hall.read_text(encoding="utf-8")
    assert text.startswith(GOOD.rstrip("\n") + "\n\n[kiosk]\npriority_pin_hash = ")
    assert verify_pin("8642", parse_hall(text).kiosk.priority_pin_hash)


@pytest.mark.parametrize("stdin, words", [
    ("9753\n9754\n", "两次输入的密码不同，未作修改 (the two PINs differ; nothing changed)"),
    ("1234\n", "密码不可用 (PIN refused): 1234 是别人最先会试的密码之一，请换一个 (1234 is among the first PINs "
              "anyone tries; choose another)；未作修改 (nothing changed)"),
    ("12\n", "密码不可用 (PIN refused): 密码是 4 到 8 位数字"), ("", "没有读到密码，未作修改 (no PIN on standard input")])
def test_pin_set_refuses_and_changes_nothing(tmp_path, stdin, words):
    hall = tmp_path / "hall.toml"
    hall.write_bytes(OLD_HALL.encode())
    p = jiaohao(tmp_path, "--config", str(hall), "pin", "set", "--role", "technician", stdin=stdin)
    assert p.returncode == 2 and words in p.stderr and "Traceback" not in p.stderr
    assert hall.read_bytes() == OLD_HALL.encode()


def test_pin_set_on_the_shipped_demo_hall_prints_the_line_to_paste(tmp_path):
    before = DEMO_HALL.read_bytes()
    p = jiaohao(tmp_path, "pin", "set", "--role", "technician", stdin="9753\n")
    assert p.returncode == 1 and "not changed" in p.stderr and "Put this line in its [kiosk] section" in p.stderr
    assert p.stderr.startswith("jiaohao: 未修改 ") and "(not changed): 这是 jiaohao 自带的大厅文件；" in p.stderr
    assert "。请把下面这一行放进它的 [kiosk] 部分 (it is a hall shipped with jiaohao;" in p.stderr, p.stderr
    key, value = p.stdout.strip().split(" = ")
    assert key == "technician_pin_hash" and verify_pin("9753", value.strip('"'))
    assert DEMO_HALL.read_bytes() == before


def test_pin_set_on_a_read_only_file_prints_the_line_to_paste(tmp_path):
    prefix = []
    if os.geteuid() == 0:  # root writes any file: drop its capabilities, as a plain user has none
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv (util-linux) to drop root's capabilities")
        prefix = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]
    folder = tmp_path / "etc"
    folder.mkdir()
    hall = folder / "hall.toml"
    hall.write_bytes(OLD_HALL.encode())
    hall.chmod(0o444)
    folder.chmod(0o555)
    try:
        p = jiaohao(tmp_path, "--config", str(hall), "pin", "set", "--role", "technician", stdin="9753\n",
                    prefix=prefix)
    finally:
        folder.chmod(0o755)
    assert p.returncode == 1 and "cannot write it" in p.stderr and "delete its technician_pin line" in p.stderr
    assert "(not changed): 写不进去（" in p.stderr and "，并删掉它的 technician_pin 那一行 (cannot write it (" in p.stderr
    assert p.stdout.startswith('technician_pin_hash = "scrypt$')
    assert hall.read_bytes() == OLD_HALL.encode()


def test_pin_unlock_forgets_the_lock_outs(tmp_path):
    state = tmp_path / "lockout.json"
    g = PinGuard(3, 30, state)
    for _ in range(3):
        g.failed("technician")
    p = jiaohao(tmp_path, "pin", "unlock", "--state", str(state))
    assert p.returncode == 0 and not state.exists()
    assert PinGuard(3, 30, state).locked_for("technician") == 0


def test_diag_check_reports_missing_pins_and_demo_pins_on_a_real_kiosk(demo_config):
    from jiaohao.diag import kiosk as diag_kiosk

    def check(**changes):
        cfg = demo_config.model_copy(update={k: v for k, v in changes.items() if k == "printer"})
        cfg = cfg.model_copy(update={"kiosk": cfg.kiosk.model_copy(
            update={k: v for k, v in changes.items() if k != "printer"})})
        [r] = diag_kiosk.check(SimpleNamespace(config=cfg))
        return r

    demo = check()
    assert demo.ok and "demo only" in demo.detail
    real = check(printer=demo_config.printer.model_copy(update={"url": "/dev/ttyUSB0"}))
    assert not real.ok and "pin set --role technician / --role green" in real.fix
    missing = check(technician_pin_hash="")
    assert not missing.ok and "technician menu cannot be opened" in missing.detail
    green = check(priority_pin_hash="")
    assert not green.ok and "pin set --role green" in green.fix
    own = check(technician_pin_hash=hash_pin("9753"), priority_pin_hash=hash_pin("8642"))
    assert own.ok and own.detail == "技术人员密码已设，绿色通道凭工作人员密码 (technician PIN set, green channel behind a staff PIN)"
