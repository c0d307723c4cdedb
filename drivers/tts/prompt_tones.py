"""The built-in prompt tones (提示音) of the serial TTS modules, as their datasheets list them.

A prompt tone is played by sending its name as text (``soundg``), separated from
other letters (and, on the XFS5152CE and SYN6658, digits) by punctuation or a space,
while the tone policy is on (``[x1]``, the chips' default). Sources:

- SYN6288: 《SYN6288 中文语音合成芯片数据手册》 (2016-03-09), §6.1 声音提示音列表 and
  §6.2 和弦提示音列表 (libdriver/syn6288, ``datasheet/syn6288_datasheet.pdf``);
- SYN6658: 《SYN6658 中文语音合成芯片用户手册》 §11.3.1–11.3.2
  (libdriver/syn6658, ``datasheet/syn6658_datasheet.pdf``);
- XFS5152CE: *XFS5152CE Speech synthesis chip User Development Guide* §13.1, tables
  58–60 (mannbro/PiPicoXFS5152CE, ``Documentation/XFS5152CE_en.pdf``); it names the
  groups (message, ringing, alarm tones) but not each tone, nor their lengths.

``DEFAULT_CHIME`` is the tone each module plays before a call: a doorbell (门铃声)
where the datasheet has one, never the SYN6288's ``sounda``, which is its error sound.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PromptTone:
    """One built-in tone: its name, its kind as the datasheet says it, its length."""

    name: str
    kind: str                  # the datasheet's words, e.g. 门铃声; "" where it names none
    seconds: float | None      # None where the datasheet gives no length


def _table(rows: str, kind: str = "") -> list[PromptTone]:
    """``"soundg 门铃声 1, …"`` or ``"msga 1, …"`` → tones; a row is ``name [kind] seconds``."""
    out = []
    for row in rows.split(","):
        parts = row.split()
        if not parts:
            continue
        name, rest = parts[0], parts[1:]
        seconds = float(rest[-1]) if rest and re.fullmatch(r"[\d.]+", rest[-1]) else None
        words = " ".join(rest[:-1] if seconds is not None else rest)
        out.append(PromptTone(name, words or kind, seconds))
    return out


# SYN6288 datasheet §6.1 (sounda…soundy) and §6.2 (msga…msgh, ringa…ringo).
_SYN6288 = _table("""
    sounda 出错声 1, soundb 刷卡成功 1, soundc 刷卡成功 1, soundd 刷卡成功 1, sounde 刷卡成功 1,
    soundf 激光声 1, soundg 门铃声 1, soundh 门铃声 1, soundi 电话铃声 2, soundj 电话铃声 1,
    soundk 广播提示音 2, soundl 提示音 1, soundm 提示音 1, soundn 警报 2, soundo 警报 1,
    soundp 警报 3, soundq 紧急警报 1, soundr 紧急警报 4, sounds 布谷声 1, soundt 提示音 1,
    soundu 提示音 1, soundv 提示音 1, soundw 提示音 1, soundx 提示音 1, soundy 提示音 1
""") + _table("msga 1, msgb 1, msgc 1, msgd 1, msge 2, msgf 3, msgg 4, msgh 5", "和弦提示音") + _table("""
    ringa 60, ringb 70, ringc 27, ringd 65, ringe 60, ringf 57, ringg 60, ringh 53,
    ringi 35, ringj 25, ringk 18, ringl 38, ringm 60, ringn 23, ringo 5
""", "和弦铃声")

# SYN6658 manual §11.3.1 (msga…msgn) and §11.3.2 (sound101…sound602; sound101…124 also
# answer to the compatible names sounda…soundy, which here are plain prompt tones).
_SYN6658_101 = [0.38, 0.41, 0.43, 0.46, 0.47, 0.47, 0.53, 0.60, 0.62, 0.64, 0.65, 0.67,
                0.75, 0.77, 0.79, 0.82, 0.84, 0.89, 0.99, 1.00, 1.08, 1.20, 1.82, 2.27]
_SYN6658_COMPAT = "abcdefghijklmnopqrtuvwxy"  # as printed: 18 sound118 soundr, 19 sound119 soundt (no sounds)
_SYN6658 = _table("""
    msga 0.9, msgb 1.0, msgc 1.2, msgd 1.4, msge 2.3, msgf 2.5, msgg 2.8, msgh 2.9,
    msgi 3.8, msgj 3.8, msgk 3.8, msgl 4.0, msgm 5.0, msgn 5.1
""", "和弦提示音") + [PromptTone(f"sound{101 + i}", "提示音", s) for i, s in enumerate(_SYN6658_101)] + _table("""
    sound201 电话铃声 0.6, sound202 电话铃声 1.0, sound203 电话铃声 1.0, sound204 电话铃声 1.2,
    sound205 电话铃声 1.6, sound206 门铃声 0.3, sound207 门铃声 0.8, sound208 门铃声 1.2,
    sound209 门铃声 1.4, sound210 闹铃 1.7, sound211 闹铃 2.1, sound212 闹铃 2.6, sound213 闹铃 2.7,
    sound214 风铃声 1.2, sound215 风铃声 1.6, sound216 风铃声 1.6, sound217 风铃声 2.0,
    sound218 风铃声 2.2, sound219 风铃声 2.4,
    sound301 警报 0.6, sound302 警报 0.7, sound303 警报 0.8, sound304 警报 0.8, sound305 警报 0.9,
    sound306 警报 1.0, sound307 警报 1.0, sound308 警报 1.1, sound309 警报 1.2, sound310 警报 1.2,
    sound311 警报 1.2, sound312 警报 1.8, sound313 警报 1.9, sound314 警报 2.1,
    sound315 警报-紧急 0.8, sound316 警报-紧急 1.1, sound317 警报-紧急 1.4, sound318 警报-紧急 2.9,
    sound319 警报-紧急 3.2,
    sound401 刷卡成功 0.09, sound402 刷卡成功 0.11, sound403 刷卡成功 0.11, sound404 刷卡成功 0.16,
    sound405 刷卡成功 0.41, sound406 刷卡成功 0.41, sound407 刷卡成功 0.46, sound408 刷卡成功 0.59,
    sound501 特殊声-布谷声 0.4, sound502 特殊声-出错声 0.5, sound503 特殊声-鼓掌声 2.2,
    sound504 特殊声-激光声 0.2, sound505 特殊声-激光声 0.6, sound506 特殊声-落地声 2.2,
    sound507 特殊声-枪击声 0.4,
    sound601 报警声 10.3, sound602 天气预报前奏声 10.9
""")
_SYN6658_ALIASES = {f"sound{c}": f"sound{101 + i}" for i, c in enumerate(_SYN6658_COMPAT)}

# XFS5152CE guide §13.1: 25 message tones, 25 ringing tones, 30 alarm tones.
_XFS5152 = ([PromptTone(f"sound{n}", "信息提示音", None) for n in range(101, 126)]
            + [PromptTone(f"sound{n}", "铃声", None) for n in range(201, 226)]
            + [PromptTone(f"sound{n}", "警报", None) for n in range(301, 331)])

TONES: dict[str, dict[str, PromptTone]] = {
    "syn6288": {t.name: t for t in _SYN6288},
    "syn6658": {t.name: t for t in _SYN6658},
    "xfs5152": {t.name: t for t in _XFS5152},
}

#: other names a module answers to (SYN6658: sounda…soundx = sound101…sound124)
ALIASES: dict[str, dict[str, str]] = {"syn6288": {}, "syn6658": _SYN6658_ALIASES, "xfs5152": {}}

#: the chime before a call, per module (see the module docstring and docs/voice.md)
DEFAULT_CHIME = {
    "syn6288": "soundg",    # 门铃声, 1 s (sounda is 出错声, the error sound)
    "syn6658": "sound208",  # 门铃声, 1.2 s
    "xfs5152": "sound101",  # the first 信息提示音 (message tone); the guide names no doorbell
}

#: a tone name must not touch these characters, or the module spells it out
_NEIGHBOURS = {"syn6288": "A-Za-z", "syn6658": "A-Za-z0-9", "xfs5152": "A-Za-z0-9"}


def tone(model: str, name: str) -> PromptTone | None:
    """The tone ``name`` (any case; SYN6658 compatible names too) of ``model``, or None."""
    name = name.strip().lower()
    tones = TONES.get(model, {})
    return tones.get(ALIASES.get(model, {}).get(name, name))


def default_chime(model: str) -> str:
    return DEFAULT_CHIME[model]


def tone_names(model: str) -> list[str]:
    """Every name ``model`` plays as a tone, in datasheet order (aliases after)."""
    return list(TONES[model]) + list(ALIASES[model])


def find_tones(model: str, text: str) -> list[tuple[int, int, PromptTone]]:
    """(start, end, tone) of every tone name ``text`` plays, as the module reads it:
    a name counts only when no letter (or digit) touches it."""
    names = sorted(tone_names(model), key=len, reverse=True)
    n = _NEIGHBOURS[model]
    pattern = re.compile(rf"(?<![{n}])({'|'.join(names)})(?![{n}])", re.IGNORECASE)
    return [(m.start(), m.end(), tone(model, m.group(1))) for m in pattern.finditer(text)]
