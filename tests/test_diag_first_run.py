"""`diag check` as a new technician meets it: the database's built-in place not made yet
is not a fault (the first ticket makes it, folder and all), and a fix never says to
install what the check just found ready."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from jiaohao.diag.voice import NO_PLAYER_FIX, NO_SOUND_FIX, _fix


def _check(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("JIAOHAO_DB", "JIAOHAO_CONFIG")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-m", "jiaohao", *args, "diag", "check", "--json"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in r.stderr, r.stderr
    return {c["device"]: c for c in json.loads(r.stdout)["devices"]}


def test_the_default_database_not_made_yet_is_not_a_fault(tmp_path):
    checks = _check(tmp_path)
    db = [c for d, c in checks.items() if d.startswith("database ")]
    assert len(db) == 1 and db[0]["ok"] and "not made yet" in db[0]["detail"], db
    assert not (tmp_path / "data" / "jiaohao").exists()  # looking makes nothing


def test_a_given_database_in_a_missing_folder_is_still_a_fault(tmp_path):
    checks = _check(tmp_path, "--db", str(tmp_path / "nowhere" / "hall.sqlite"))
    db = [c for d, c in checks.items() if d.startswith("database ")]
    assert len(db) == 1 and not db[0]["ok"] and "does not exist" in db[0]["detail"]


def test_voice_fixes_follow_what_the_check_found():
    assert _fix("espeak", "espeak-ng is ready but this computer has no sound card or sound server") == NO_SOUND_FIX
    assert _fix("espeak", "espeak-ng is ready but no audio player is installed (aplay, paplay or sox)") == NO_PLAYER_FIX
    assert "apt install espeak-ng" in _fix("espeak", "espeak-ng is not installed")
