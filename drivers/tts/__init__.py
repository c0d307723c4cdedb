"""Voice: speech engines that say one announcement at a time.

``open_engine(cfg.voice)`` returns a :class:`SpeechEngine` for the configured engine:

- ``syn6288`` / ``xfs5152`` / ``syn6658``: a serial TTS module (:mod:`.serial_engine`),
- ``espeak``: espeak-ng on this computer, to the sound card or WAV files (:mod:`.local`),
- ``clips``: recorded WAV clips joined together (:mod:`.clips`),
- ``none``: :class:`SilentEngine` (announcements are logged, not spoken).

Every engine's ``speak`` blocks until the words have been said, so callers never cut
one announcement off with the next. The words come from :mod:`.reading`.
"""
from __future__ import annotations

import logging

from .. import DeviceError

log = logging.getLogger(__name__)


class TTSError(DeviceError):
    """A speech engine failed; the message names the engine and the device."""


class SpeechEngine:
    """Says things. Subclasses implement :meth:`speak` and :meth:`chime`."""

    name = "engine"
    #: "text" for pre-converted words (A零二三), "markup" for the modules' [n1]/[n2] markup
    text_style = "text"

    def speak(self, text: str) -> None:
        """Say ``text`` and return when it has been said."""
        raise NotImplementedError

    def chime(self) -> None:
        """Play the attention chime (叮咚) and return when it has finished."""

    def announce(self, text: str, repeat: int = 1, chime: bool = False) -> None:
        """A whole announcement: the chime, then ``text`` ``repeat`` times."""
        if chime:
            self.chime()
        for _ in range(max(1, repeat)):
            self.speak(text)

    def check(self) -> tuple[bool, str]:
        """(healthy, plain-words detail) for diagnostics. Must not speak."""
        return True, "ready"

    def close(self) -> None:
        """Release the device; a later speak may reopen it."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SilentEngine(SpeechEngine):
    """``engine = "none"``: writes what would be said to the log and keeps it in ``said``."""

    name = "none"

    def __init__(self) -> None:
        self.said: list[str] = []

    def speak(self, text: str) -> None:
        log.info("voice (none): %s", text)
        self.said.append(text)


SERIAL_MODELS = ("syn6288", "xfs5152", "syn6658")


def open_engine(voice_cfg, **overrides) -> SpeechEngine:
    """The engine described by a ``[voice]`` config section (overrides win, e.g.
    ``engine="espeak"`` or ``output="/tmp/wav"`` from the diagnostics command)."""
    kind = overrides.pop("engine", None) or voice_cfg.engine
    if kind in SERIAL_MODELS:
        from .serial_engine import SerialTTSEngine
        return SerialTTSEngine.from_config(voice_cfg, model=kind, **overrides)
    if kind == "espeak":
        from .local import EspeakEngine
        return EspeakEngine.from_config(voice_cfg, **overrides)
    if kind == "clips":
        from .clips import ClipsEngine
        return ClipsEngine.from_config(voice_cfg, **overrides)
    if kind == "none":
        return SilentEngine()
    raise TTSError(f"unknown voice engine {kind!r}")


__all__ = ["TTSError", "SpeechEngine", "SilentEngine", "open_engine", "SERIAL_MODELS"]
