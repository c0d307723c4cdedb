"""`jiaohao diag ports` and the port checks, on a machine with no real devices."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from config import Bus
from drivers.ptylink import PtyLink
from jiaohao.diag import ports, reasons

ROOT = Path(__file__).resolve().parents[1]


def _ctx(config, **buses):
    return SimpleNamespace(config=config.model_copy(update={"buses": {**config.buses, **buses}}))


def test_ports_command_runs_with_no_devices():
    proc = subprocess.run([sys.executable, "-m", "jiaohao", "diag", "ports", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert isinstance(report["serial_ports"], list) and isinstance(report["usb_printers"], list)
    assert {"device": "printer", "url": "sim://kiosk1"} in report["configured"]
    text = subprocess.run([sys.executable, "-m", "jiaohao", "diag", "ports"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60).stdout
    assert "Serial ports" in text and "模拟器，在 jiaohao 内运行 (simulator, runs inside jiaohao)" in text


@pytest.mark.parametrize("url, ids", [
    ("usb://0x0416:0x5011", "0416:5011"),
    ("usb://0416:5011", "0416:5011"),
    ("usb://0x4b8:0x202/1", "04b8:0202"),
    ("usb://nonsense", None),
    ("/dev/ttyUSB0", None),
])
def test_usb_ids(url, ids):
    assert ports.usb_ids(url) == ids


def test_missing_port_is_reported_with_the_cable_fix(demo_config):
    ctx = _ctx(demo_config, floor2=Bus(url="/dev/ttyUSB-not-there"))
    results = ports.check(ctx)
    assert len(results) == 1
    r = results[0]
    assert not r.ok and "does not exist" in r.detail and "cable" in r.fix
    assert r.device.startswith("bus floor2")


def test_a_free_port_is_healthy_and_a_held_one_is_busy(demo_config):
    link = PtyLink()
    try:
        ctx = _ctx(demo_config, floor2=Bus(url=link.path))
        [r] = ports.check(ctx)
        assert r.ok, r
        holder = subprocess.Popen([sys.executable, "-c",
                                   f"import time; f = open({link.path!r}, 'rb'); print('held', flush=True); time.sleep(30)"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "held"
            [r] = ports.check(ctx)
            assert not r.ok
            assert "busy" in r.detail and str(holder.pid) in r.detail
            assert "systemctl stop" in r.fix
        finally:
            holder.kill()
            holder.wait()
    finally:
        link.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may open any port")
def test_permission_denied_names_udev_and_dialout(demo_config, tmp_path):
    node = tmp_path / "ttyFAKE"
    node.write_text("")
    node.chmod(0)
    [r] = ports.check(_ctx(demo_config, floor2=Bus(url=str(node))))
    assert not r.ok and "permission" in r.detail
    assert "usermod -aG dialout" in r.fix and "99-jiaohao.rules" in r.fix


def test_reasons_cover_the_common_faults():
    import errno
    d, f = reasons.open_error("/dev/ttyUSB0", PermissionError(errno.EACCES, "Permission denied"))
    assert "permission" in d and "dialout" in f
    d, f = reasons.no_answer("floor1", 5, "keypad")
    assert "address 5" in d and "address" in f
    d, f = reasons.bad_crc("floor1", 0.12)
    assert "12%" in d and "terminator" in f
    for level in ("paper_out", "cover_open", "offline"):
        d, f = reasons.printer_problem(level)
        assert d and f


def test_sysfs_printers_are_found(tmp_path):
    dev = tmp_path / "1-2"
    intf = tmp_path / "1-2:1.0"
    dev.mkdir()
    intf.mkdir()
    for name, value in {"idVendor": "0416", "idProduct": "5011", "manufacturer": "Winbond",
                        "product": "POS58 Printer", "busnum": "1", "devnum": "7"}.items():
        (dev / name).write_text(value + "\n")
    (intf / "bInterfaceClass").write_text("07\n")
    [p] = ports._usb_printers_sysfs(tmp_path)
    assert p.vid_pid == "0416:5011" and p.bus_address == "001/007" and "POS58" in p.description


def test_config_devices_are_matched_to_ports(demo_config):
    config = demo_config.model_copy(update={"buses": {"floor1": Bus(url="/dev/ttyS0")},
                                            "printer": demo_config.printer.model_copy(
                                                update={"url": "usb://0x0416:0x5011"})})
    port = ports.PortInfo("/dev/ttyS0")
    printer = ports.UsbPrinter("0416:5011", "POS58", "001/007")
    ports.match(config, [port], [printer])
    assert port.used_by == ["bus floor1 (/dev/ttyS0)"]
    assert printer.used_by == ["printer (usb://0x0416:0x5011)"]
    [r] = [r for r in [ports.check_usb("printer", "usb://0x0416:0x5011", [])]]
    assert not r.ok and "USB cable" in r.fix


def test_permission_denied_as_a_user_without_the_group(demo_config, monkeypatch):
    """Root can open anything, so the missing permission is simulated at os.access."""
    link = PtyLink()
    try:
        monkeypatch.setattr(ports.os, "access", lambda path, mode: False)
        [r] = ports.check(_ctx(demo_config, floor2=Bus(url=link.path)))
        assert not r.ok and "no permission" in r.detail and "dialout" in r.detail
        assert "usermod -aG dialout" in r.fix and "udevadm" in r.fix
    finally:
        link.close()
