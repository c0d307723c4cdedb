"""What install.sh relies on in the files it ships (fast checks; tests/test_bundle.py runs it)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("controller", "kiosk", "caller", "screen")


def role_packages(role: str, lines: dict[str, list[str]] | None = None) -> set[str]:
    if lines is None:
        text = (ROOT / "deploy" / "debian-packages.txt").read_text(encoding="utf-8")
        lines = {m[1]: m[2].split() for m in re.finditer(r"^([a-z]+):\s*(.*)$", text, re.M)}
    out = set()
    for word in lines[role]:
        out |= role_packages(word[1:], lines) if word.startswith("@") else {word}
    return out


@pytest.mark.parametrize("script", ["bundle.sh", "install.sh", "check_bundle_chroot.sh"])
def test_scripts_parse(script):
    p = subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_every_role_has_python_and_a_screen_has_the_chinese_font():
    for role in ROLES:
        pkgs = role_packages(role)
        assert {"python3", "python3-venv", "fonts-wqy-microhei", "libxcb-cursor0"} <= pkgs, role
        assert not any(p.startswith("postgresql") for p in pkgs), role  # issue 20, not built yet
    assert {"espeak-ng", "alsa-utils"} <= role_packages("controller")
    assert "espeak-ng" not in role_packages("caller") | role_packages("kiosk") | role_packages("screen")
    assert "libusb-1.0-0" in role_packages("kiosk")


def test_the_qt_libraries_are_those_setup_sh_installs():
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    listed = set(re.search(r"pkgs=\((.*?)\)", setup, re.S)[1].split())
    assert role_packages("qt") <= listed, role_packages("qt") - listed


@pytest.mark.parametrize("unit", sorted(p.name for p in (ROOT / "deploy").glob("*.service")))
def test_units_run_the_path_install_sh_rewrites(unit):
    lines = [ln for ln in (ROOT / "deploy" / unit).read_text(encoding="utf-8").splitlines()
             if ln.startswith("ExecStart")]
    assert lines and all(ln.split("=", 1)[1].startswith("/opt/jiaohao/.venv/bin/jiaohao ") for ln in lines)
    assert 's#/opt/jiaohao/.venv/bin/#$prefix/current/bin/#g' in (ROOT / "scripts" / "install.sh").read_text()
