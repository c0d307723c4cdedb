"""The ``clips`` engine: an announcement joined from recorded WAV clips.

A hall that wants a real person's voice records one clip per word: 请, 号, 到, 窗口,
办理, the digits 零…九, 十, 百, 千, the letters A…Z, and a chime. The text from
:mod:`.reading` (请A零二三号到十二号窗口办理) is cut into the longest clips that match
and the clips are joined. A clip file is named by its pinyin (``qing.wav``,
``chuangkou.wav``, ``A.wav`` — see :data:`CLIP_FILES`) or by the words themselves
(``请.wav``, ``办理业务.wav``), so a hall can add clips for its own templates.

A set made with espeak-ng ships in ``drivers/tts/clips/`` (``scripts/make_voice_clips.py``
makes it again), so the engine works out of the box.
"""
from __future__ import annotations

import logging
import string
from pathlib import Path

from . import TTSError
from .audio import AudioEngine, Sound, join, read_wav, silence

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).parent / "clips"
CLIP_RATE = 16000
GAP_S = 0.04     # between two clips
PAUSE_S = 0.15   # for punctuation and spaces

CLIP_FILES: dict[str, str] = {
    "请": "qing", "号": "hao", "到": "dao", "窗口": "chuangkou", "办理": "banli",
    "零": "ling", "一": "yi", "二": "er", "三": "san", "四": "si", "五": "wu", "六": "liu",
    "七": "qi", "八": "ba", "九": "jiu", "十": "shi", "百": "bai", "千": "qian", "万": "wan",
    **{c: c for c in string.ascii_uppercase},
}
CHIME = "chime"
# What every call needs, whatever the numbers: the standard template's words, the digits,
# 十/百/千 for window numbers and the letters of ticket prefixes.
REQUIRED = ["请", "号", "到", "窗口", "办理", *"零一二三四五六七八九十百千", *string.ascii_uppercase]
_PUNCTUATION = set(" \t\n，。、；：！？,.;:!?-—")


def shipped_chime() -> Sound | None:
    path = SHIPPED_DIR / f"{CHIME}.wav"
    return read_wav(path) if path.exists() else None


class ClipLibrary:
    """The clips of one folder, found by the words they say."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise TTSError(f"clips folder {self.folder} does not exist")
        files = {p.stem: p for p in self.folder.glob("*.wav")}
        self.paths: dict[str, Path] = {}
        for words, stem in CLIP_FILES.items():
            if stem in files:
                self.paths[words] = files[stem]
        for stem, p in files.items():  # clips named by their own words (请.wav, 办理业务.wav)
            if stem != CHIME and stem not in CLIP_FILES.values():
                self.paths[stem] = p
        self.chime_path = files.get(CHIME)
        self._longest = max((len(w) for w in self.paths), default=1)
        self._cache: dict[str, Sound] = {}

    def sound(self, words: str) -> Sound:
        if words not in self._cache:
            self._cache[words] = read_wav(self.paths[words]).at_rate(CLIP_RATE)
        return self._cache[words]

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """(clip words and pauses " " in order, characters with no clip)."""
        out: list[str] = []
        missing: list[str] = []
        i = 0
        upper = text.upper()
        while i < len(text):
            for n in range(min(self._longest, len(text) - i), 0, -1):
                piece = text[i:i + n]
                if piece in self.paths or (n == 1 and upper[i] in self.paths and text[i].isascii()):
                    out.append(piece if piece in self.paths else upper[i])
                    i += n
                    break
            else:
                if text[i] in _PUNCTUATION:
                    out.append(" ")
                else:
                    missing.append(text[i])
                i += 1
        return out, missing

    def missing(self, words: list[str] = REQUIRED) -> list[str]:
        return [w for w in words if w not in self.paths]


class ClipsEngine(AudioEngine):
    """Joins clips from ``folder`` (default: the shipped espeak-ng set)."""

    def __init__(self, folder: str | Path | None = None, output: str | Path | None = None):
        self.library = ClipLibrary(folder or SHIPPED_DIR)
        chime = read_wav(self.library.chime_path) if self.library.chime_path else None
        super().__init__(output, chime)
        self.name = f"clips {self.library.folder}" + (f" → {output}" if output else "")
        self._warned: set[str] = set()

    @classmethod
    def from_config(cls, voice_cfg, **overrides) -> "ClipsEngine":
        kw = dict(folder=voice_cfg.clips_dir or None, output=voice_cfg.output or None)
        kw.update({k: v for k, v in overrides.items() if v is not None and k in ("folder", "output")})
        return cls(**kw)

    def render(self, text: str) -> Sound:
        tokens, missing = self.library.tokens(text)
        new = sorted(set(missing) - self._warned)
        if new:
            self._warned.update(new)
            log.warning("%s: no clip for %s; those words are left out", self.name, " ".join(new))
        if not tokens:
            raise TTSError(f"{self.name}: no clip matches any of {text!r}")
        parts: list[Sound] = []
        for token in tokens:
            if token == " ":
                parts.append(silence(PAUSE_S, CLIP_RATE))
                continue
            if parts:
                parts.append(silence(GAP_S, CLIP_RATE))
            parts.append(self.library.sound(token))
        return join(parts, CLIP_RATE)

    def check(self) -> tuple[bool, str]:
        missing = self.library.missing()
        if self.library.chime_path is None:
            missing.append(CHIME)
        if missing:
            return False, f"{self.library.folder} 缺少语音片段 (clips missing): {' '.join(missing)}"
        if self.output.folder is None:
            from .audio import find_player, sound_output_present
            if find_player() is None or not sound_output_present():
                return False, (f"{len(self.library.paths)} 个语音片段已就绪，但没有播放器或声卡 ({len(self.library.paths)} clips "
                               "ready, but there is no audio player or no sound card to play them on)")
        return True, f"{len(self.library.paths)} 个语音片段和提示音 ({len(self.library.paths)} clips and a chime) in {self.library.folder}"
