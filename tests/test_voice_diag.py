"""`jiaohao diag voice`, the voice health check, and the announcer inside `jiaohao serve`."""
from __future__ import annotations

import json
import shutil

import pytest

from config import DEMO_HALL
from drivers.transport import get_sim, register_sim, unregister_sim
from drivers.tts.audio import read_wav
from drivers.tts.simulator import TTSModuleSimulator
from jiaohao.cli import main
from jiaohao.commands.serve_cmd import build_components
from jiaohao.context import Context
from jiaohao.diag import voice as diag_voice

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def hall_file(tmp_path, voice: str):
    text = DEMO_HALL.read_text(encoding="utf-8")
    start, end = text.index("[voice]"), text.index("[[boards]]")
    path = tmp_path / "hall.toml"
    path.write_text(text[:start] + "[voice]\n" + voice + "\n\n" + text[end:], encoding="utf-8")
    return path


def run(tmp_path, config, *argv, capsys):
    code = main(["--config", str(config), "--db", str(tmp_path / "hall.sqlite"), *argv])
    return code, capsys.readouterr()


@pytest.fixture
def sim_module():
    sim = TTSModuleSimulator("xfs5152", seconds_per_char=0.01)
    register_sim("diag-tts", sim)
    yield sim
    unregister_sim("diag-tts")


def test_diag_voice_says_a_sample_call_on_a_serial_module(tmp_path, capsys, sim_module):
    config = hall_file(tmp_path, 'engine = "xfs5152"\nurl = "sim://diag-tts"')
    code, out = run(tmp_path, config, "diag", "voice", "--json", capsys=capsys)
    assert code == 0, out.err
    result = json.loads(out.out)
    assert result["ok"] and result["text"] == "请A零二三号到五号窗口办理"
    assert sim_module.spoken == ["sound101", "请A零二三号到五号窗口办理"]


def test_diag_voice_status_only_says_nothing(tmp_path, capsys, sim_module):
    config = hall_file(tmp_path, 'engine = "xfs5152"\nurl = "sim://diag-tts"')
    code, out = run(tmp_path, config, "diag", "voice", "--status", capsys=capsys)
    assert code == 0
    assert "OK" in out.out and "idle" in out.out
    assert sim_module.spoken == []


def test_diag_voice_on_a_missing_port_says_what_to_do(tmp_path, capsys):
    config = hall_file(tmp_path, 'engine = "syn6288"\nurl = "/dev/ttyNOSUCH"')
    code, out = run(tmp_path, config, "diag", "voice", capsys=capsys)
    assert code == 1
    assert "ttyNOSUCH" in out.out and "处理 (fix):" in out.out and "cable" in out.out and "连线" in out.out


def test_diag_voice_clips_to_files(tmp_path, capsys):
    config = hall_file(tmp_path, 'engine = "none"')
    code, out = run(tmp_path, config, "diag", "voice", "--engine", "clips", "--output", str(tmp_path / "wav"),
                    "--say", "请B一零七号到十二号窗口办理", "--no-chime", "--json", capsys=capsys)
    assert code == 0, out.err
    [file] = json.loads(out.out)["files"]
    assert 2.0 < file["seconds"] < 6.0
    assert read_wav(file["path"]).seconds == pytest.approx(file["seconds"], abs=0.01)


@needs_espeak
def test_diag_voice_espeak_with_repeat_and_chime(tmp_path, capsys):
    config = hall_file(tmp_path, f'engine = "espeak"\noutput = "{tmp_path / "wav"}"')
    code, out = run(tmp_path, config, "diag", "voice", "--repeat", "2", capsys=capsys)
    assert code == 0, out.err
    assert "已写入 wrote" in out.out and "已播报 said" in out.out
    [path] = list((tmp_path / "wav").glob("*.wav"))
    assert 8.0 < read_wav(path).seconds < 12.0  # chime 1.3 s + two calls of ~3.8 s + pauses


@pytest.mark.parametrize("voice,ok,words", [
    ('engine = "none"', True, "no voice"),
    ('engine = "clips"', None, "clips"),
    ('engine = "clips"\nclips_dir = "/nonexistent/clips"', False, "does not exist"),
    ('engine = "syn6658"\nurl = "/dev/ttyNOSUCH"', False, "cannot open"),
])
def test_check(tmp_path, voice, ok, words):
    ctx = Context(str(hall_file(tmp_path, voice)), str(tmp_path / "hall.sqlite"))
    [result] = diag_voice.check(ctx)
    if ok is not None:
        assert result.ok is ok
    assert words in result.detail
    assert result.ok or result.fix


def test_check_a_silent_module(tmp_path, sim_module):
    sim_module.set_fault("silent")
    ctx = Context(str(hall_file(tmp_path, 'engine = "xfs5152"\nurl = "sim://diag-tts"')), str(tmp_path / "h.sqlite"))
    [result] = diag_voice.check(ctx)
    assert not result.ok and "no answer" in result.detail and "cable" in result.fix


def test_check_clips_to_a_folder_is_healthy(tmp_path):
    ctx = Context(str(hall_file(tmp_path, f'engine = "clips"\noutput = "{tmp_path}"')), str(tmp_path / "h.sqlite"))
    [result] = diag_voice.check(ctx)
    assert result.ok, result.detail


def test_serve_runs_the_announcer_on_the_configured_module(tmp_path, monkeypatch):
    monkeypatch.setenv("JIAOHAO_NOW", "2026-11-23T09:00")  # inside the service's hours
    ctx = Context(str(hall_file(tmp_path, 'engine = "syn6288"\nurl = "sim://serve-tts"\nrepeat = 1')),
                  str(tmp_path / "hall.sqlite"))
    try:
        parts = [p for p in build_components(ctx) if p.name.startswith("announcer")]
        assert len(parts) == 1
        announcer = parts[0]
        announcer.start()
        try:
            ctx.queue.login(5, "staff")
            ctx.queue.issue("C")
            ctx.queue.call_next(5)
            assert announcer.wait_idle(timeout=20)
        finally:
            announcer.stop()
        sim = get_sim("serve-tts")  # started by the engine as the default simulator
        assert sim.spoken == ["soundg", "请C零零一号到五号窗口办理"]
    finally:
        unregister_sim("serve-tts")
