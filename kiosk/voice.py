"""Spoken prompts on tap in elderly mode (适老化), through the voice engineer's engines.

The kiosk speaks on its own loudspeaker with the local engine (espeak-ng), whatever
the hall's announcer uses: a serial TTS module belongs to the announcer process and
cannot be shared. When the hall has no voice (``[voice] engine = "none"``) or the
engine cannot start, prompts are off and the kiosk works as before. Prompts never
block the screen: they are said on their own thread and a new prompt replaces one
that has not started yet.
"""
from __future__ import annotations

import logging
import queue
import threading

log = logging.getLogger(__name__)


class VoicePrompt:
    """Says short prompts on a background thread; ``engine`` has ``speak(text)`` and ``close()``."""

    def __init__(self, engine):
        self.engine = engine
        self.said: list[str] = []  # what was handed to the engine, for tests and diagnostics
        self._q: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._run, name="kiosk-voice", daemon=True)
        self._thread.start()

    def say(self, text: str) -> None:
        try:
            self._q.get_nowait()  # drop a prompt not yet started: only the latest matters
        except queue.Empty:
            pass
        try:
            self._q.put_nowait(text)
        except queue.Full:
            pass

    def _run(self) -> None:
        while True:
            text = self._q.get()
            if text is None:
                return
            try:
                self.engine.speak(text)
                self.said.append(text)
            except Exception as e:  # noqa: BLE001 - a voice failure must not touch ticket issue
                log.warning("voice prompt %r failed: %s", text, e)

    def close(self) -> None:
        try:
            self._q.put(None, timeout=1)
        except queue.Full:
            pass
        self._thread.join(timeout=2)
        try:
            self.engine.close()
        except Exception:  # noqa: BLE001
            pass


def open_prompts(voice_cfg) -> VoicePrompt | None:
    """Prompts with the local engine, or None when the hall has no voice or no engine runs."""
    if voice_cfg is None or voice_cfg.engine == "none":
        return None
    try:
        from drivers.tts import open_engine
    except ImportError:
        log.info("no voice engines installed (drivers.tts): kiosk prompts off")
        return None
    try:
        engine = open_engine(voice_cfg, engine="espeak", output="")
    except Exception as e:  # noqa: BLE001
        log.warning("kiosk voice prompts off: %s", e)
        return None
    return VoicePrompt(engine)
