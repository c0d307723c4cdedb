"""The local engine: espeak-ng on this computer, to the sound card or to WAV files.

Mandarin uses the ``cmn-latn-pinyin`` voice: the plain ``cmn`` voice of espeak-ng 1.51
switches to English for common characters (it reads 请 as an English word) and
spells "A" the English way; ``cmn-latn-pinyin`` reads 请A零二三号到五号窗口办理 right.

Speech is synthesized by the ``espeak-ng`` program into a WAV, which is then written
to the output folder or played with the host's player. pyttsx3 (its espeak driver,
in-process) is available as ``backend="pyttsx3"`` but is not the default, because on
this headless setup (pyttsx3 2.99, espeak-ng 1.51):

- ``runAndWait()`` returns *before* ``save_to_file`` has written the WAV: the driver
  initialises espeak in AUDIO_OUTPUT_RETRIEVAL mode, which synthesizes on espeak's own
  thread, and the queued ``endLoop`` has already ended the loop (measured: it returned
  after 15 ms, the file of a long text appeared 180 ms later). The backend here waits
  for pyttsx3's ``finished-utterance`` notification to get round that;
- ``say()`` plays through ``os.system("aplay …")`` and ignores a failure, so a missing
  player or sound card goes unnoticed;
- espeak is initialised once per process and cannot be timed out or restarted if it
  hangs; a child process can.
"""
from __future__ import annotations

import atexit
import contextlib
import io
import logging
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from . import TTSError
from .audio import AudioEngine, Sound, read_wav

log = logging.getLogger(__name__)

VOICES = {"zh": "cmn-latn-pinyin", "yue": "yue", "en": "en"}

# espeak-ng can be initialised once per process and is not re-entrant, so every
# pyttsx3 synthesis in the process goes through this one lock and one driver.
_PYTTSX3_LOCK = threading.Lock()
_pyttsx3_engine = None


def _release_pyttsx3() -> None:
    global _pyttsx3_engine
    _pyttsx3_engine = None


def espeak_voices() -> set[str]:
    """Voice names espeak-ng knows here (empty if espeak-ng is not installed)."""
    exe = shutil.which("espeak-ng")
    if not exe:
        return set()
    out = subprocess.run([exe, "--voices"], capture_output=True, text=True, timeout=20).stdout
    names = set()
    for line in out.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5:
            names.add(cols[1].lower())
            names.add(cols[4].rsplit("/", 1)[-1].lower())
    return names


def espeak_rate(speed: int) -> int:
    """Config speed 0–10 → espeak words a minute (5 → 175, espeak's own default)."""
    return 130 + 9 * speed


def espeak_amplitude(volume: int) -> int:
    """Config volume 0–16 → espeak amplitude 0–200 (8 → 100, espeak's default)."""
    return round(volume * 100 / 8)


class EspeakEngine(AudioEngine):
    """espeak-ng: the espeak-ng program (``backend="cli"``, also ``"auto"``) or pyttsx3 (``"pyttsx3"``)."""

    def __init__(self, voice: str = "cmn-latn-pinyin", speed: int = 5, volume: int = 8,
                 output: str | Path | None = None, backend: str = "auto", chime_sound: Sound | None = None):
        super().__init__(output, chime_sound)
        if backend not in ("auto", "pyttsx3", "cli"):
            raise TTSError(f"unknown espeak backend {backend!r}")
        self.voice = voice
        self.speed = speed
        self.volume = volume
        self.backend = backend
        self.name = f"espeak-ng {voice}" + (f" → {output}" if output else "")

    @classmethod
    def from_config(cls, voice_cfg, **overrides) -> "EspeakEngine":
        from .clips import shipped_chime
        kw = dict(voice=getattr(voice_cfg, "espeak_voice", "") or VOICES[voice_cfg.language],
                  speed=voice_cfg.speed, volume=voice_cfg.volume, output=voice_cfg.output or None,
                  chime_sound=shipped_chime())
        kw.update({k: v for k, v in overrides.items() if v is not None and k in ("voice", "output", "backend")})
        return cls(**kw)

    # -- synthesis -----------------------------------------------------------------
    def render(self, text: str) -> Sound:
        if self.backend == "pyttsx3":
            try:
                return self._render_pyttsx3(text)
            except TTSError as e:
                raise TTSError(f"{self.name}: {e}") from e
            except Exception as e:  # noqa: BLE001 - pyttsx3/ctypes failures of any kind
                raise TTSError(f"{self.name}: pyttsx3 failed: {e}") from e
        return self._render_cli(text)

    def _render_pyttsx3(self, text: str) -> Sound:
        global _pyttsx3_engine
        import pyttsx3
        with _PYTTSX3_LOCK, tempfile.TemporaryDirectory(prefix="jiaohao-tts-") as tmp:
            path = Path(tmp) / "speech.wav"
            # pyttsx3's espeak driver prints "Audio saved to …" on stdout: keep stdout clean.
            with contextlib.redirect_stdout(io.StringIO()):
                if _pyttsx3_engine is None:
                    _pyttsx3_engine = pyttsx3.init("espeak")
                    atexit.register(_release_pyttsx3)  # before interpreter teardown, or its __del__ fails
                engine = _pyttsx3_engine
                engine.setProperty("voice", self.voice)
                engine.setProperty("rate", espeak_rate(self.speed))
                engine.setProperty("volume", espeak_amplitude(self.volume) / 100)
                done = threading.Event()
                token = engine.connect("finished-utterance", lambda **kw: done.set())
                try:
                    engine.save_to_file(text, str(path))
                    engine.runAndWait()
                    # the WAV is written on espeak's thread, possibly after runAndWait returned
                    finished = done.wait(timeout=30)
                finally:
                    engine.disconnect(token)
            if not finished:
                raise TTSError("pyttsx3 did not finish within 30 s")
            if not path.exists() or path.stat().st_size <= 44:
                raise TTSError("pyttsx3 wrote no audio")
            return read_wav(path)

    def _render_cli(self, text: str) -> Sound:
        exe = shutil.which("espeak-ng")
        if not exe:
            raise TTSError(f"{self.name}: espeak-ng is not installed (apt install espeak-ng)")
        with tempfile.TemporaryDirectory(prefix="jiaohao-tts-") as tmp:
            path = Path(tmp) / "speech.wav"
            cmd = [exe, "-v", self.voice, "-s", str(espeak_rate(self.speed)),
                   "-a", str(espeak_amplitude(self.volume)), "-w", str(path), "--", text]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            except subprocess.TimeoutExpired:
                raise TTSError(f"{self.name}: espeak-ng did not finish in 30 s") from None
            if r.returncode != 0 or not path.exists():
                raise TTSError(f"{self.name}: espeak-ng failed: {(r.stderr or '').strip() or r.returncode}")
            return read_wav(path)

    def check(self) -> tuple[bool, str]:
        voices = espeak_voices()
        if not voices:
            return False, "没有安装 espeak-ng (espeak-ng is not installed)"
        if self.voice.lower() not in voices:
            return False, f"espeak-ng 没有 {self.voice!r} 语音 (espeak-ng has no voice {self.voice!r})"
        where_zh = f"写入 {self.output.folder} 的 WAV 文件" if self.output.folder else "声卡"
        where = f"WAV files in {self.output.folder}" if self.output.folder else "the sound card"
        if self.output.folder is None:
            from .audio import find_player, sound_output_present
            if find_player() is None:
                return False, ("espeak-ng 已就绪，但没有安装播放器 "
                               "(espeak-ng is ready but no audio player is installed: aplay, paplay or sox)")
            if not sound_output_present():
                return False, ("espeak-ng 已就绪，但这台电脑没有声卡或声音服务 "
                               "(espeak-ng is ready but this computer has no sound card or sound server)")
        return True, f"语音 {self.voice} 已就绪，播放到{where_zh} (espeak-ng voice {self.voice} ready, speaking to {where})"
