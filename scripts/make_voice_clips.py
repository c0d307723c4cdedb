#!/usr/bin/env python3
"""Make the shipped voice clip set (drivers/tts/clips/) with espeak-ng.

One clip per word of an announcement (请 号 到 窗口 办理, 零…九, 十 百 千 万, A…Z) and a
chime, 16 kHz mono 16-bit, silence trimmed. A hall with a recorded voice replaces the
files with its own recordings of the same names (see docs/voice.md).

    python scripts/make_voice_clips.py [--out drivers/tts/clips] [--voice cmn-latn-pinyin]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.tts.audio import Sound, make_chime, read_wav, write_wav  # noqa: E402
from drivers.tts.clips import CHIME, CLIP_FILES, CLIP_RATE, SHIPPED_DIR  # noqa: E402


def trim(sound: Sound, threshold: float = 0.03, pad_s: float = 0.02) -> Sound:
    """Cut the silence before and after the speech, keeping ``pad_s`` of it."""
    s = sound.samples
    loud = np.nonzero(np.abs(s.astype(np.int32)) > threshold * 32767)[0]
    if len(loud) == 0:
        return sound
    pad = int(pad_s * sound.rate)
    return Sound(s[max(0, loud[0] - pad):min(len(s), loud[-1] + pad)], sound.rate)


def synthesize(words: str, voice: str, speed: int) -> Sound:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), "--", words], check=True)
        return read_wav(path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=SHIPPED_DIR)
    p.add_argument("--voice", default="cmn-latn-pinyin")
    p.add_argument("--speed", type=int, default=165, help="espeak-ng words a minute")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for words, stem in CLIP_FILES.items():
        clip = trim(synthesize(words, args.voice, args.speed)).at_rate(CLIP_RATE)
        write_wav(args.out / f"{stem}.wav", clip)
        total += clip.seconds
        print(f"{stem:10s} {words:3s} {clip.seconds:5.2f} s")
    chime = make_chime(CLIP_RATE)
    write_wav(args.out / f"{CHIME}.wav", chime)
    print(f"{CHIME:10s}     {chime.seconds:5.2f} s")
    print(f"{len(CLIP_FILES) + 1} clips, {total + chime.seconds:.1f} s in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
