"""`jiaohao diag voice`: say a test announcement and check the voice engine.

    jiaohao diag voice                      # a sample call (A023 to window 5) on the configured engine
    jiaohao diag voice --say "请保持安静"      # any words
    jiaohao diag voice --engine espeak --output /tmp/voice   # try another engine, to WAV files
    jiaohao diag voice --status             # serial module: only ask whether it answers
"""
from __future__ import annotations

import time

from drivers.tts import SERIAL_MODELS, TTSError, open_engine
from drivers.tts.audio import read_wav
from drivers.tts.reading import ReadingError, call_text

from . import FAIL_TAG, FIX_TAG, OK_TAG, CheckResult

ENGINES = (*SERIAL_MODELS, "espeak", "clips", "none")

FIXES = {
    "serial": "检查语音模块的电源和连线（模块 TX 接转换器 RX）、voice.url 里的串口和波特率；"
              "jiaohao diag ports 列出本机串口 (check the module's power and the cable, module TX to adapter RX, "
              "the port in voice.url and the baud rate: on XFS5152CE/SYN6658 the pins set it; "
              "jiaohao diag ports lists the ports)",
    "espeak": "安装 espeak-ng（apt install espeak-ng）和播放器（apt install alsa-utils），"
              "或把 voice.output 设为一个文件夹来写 WAV 文件 (install espeak-ng and a player, "
              "or set voice.output to a folder to write WAV files)",
    "clips": "把缺少的 WAV 语音片段放进片段文件夹（docs/voice.md 列出文件名），或清空 voice.clips_dir "
             "用自带的一套 (put the missing WAV clips in the clips folder, docs/voice.md lists the names, "
             "or empty voice.clips_dir to use the shipped set)",
}


def register(sub) -> None:
    p = sub.add_parser("voice", help="say a test announcement; check the voice engine")
    p.add_argument("--say", metavar="TEXT", help="words to say (default: a sample call built from the template)")
    p.add_argument("--number", default="A023", help="ticket number of the sample call (default A023)")
    p.add_argument("--window", type=int, default=5, help="window of the sample call (default 5)")
    p.add_argument("--engine", choices=ENGINES, help="use this engine instead of the configured one")
    p.add_argument("--url", help="serial engines: the port (e.g. /dev/ttyUSB1, socket://10.0.0.9:4001)")
    p.add_argument("--baud", type=int, help="serial engines: the baud rate")
    p.add_argument("--output", metavar="FOLDER", help="espeak/clips: write WAV files here instead of playing")
    p.add_argument("--repeat", type=int, default=1, help="say it this many times (default 1)")
    p.add_argument("--no-chime", action="store_true", help="no chime before the words")
    p.add_argument("--status", action="store_true", help="only check the engine, say nothing")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=run)


NO_SOUND_FIX = ("接好音箱的声卡（aplay -l 列出声卡）或启动桌面的声音服务，或把 voice.output 设为一个文件夹来写 "
                "WAV 文件 (connect the speakers' sound card: `aplay -l` lists the cards; or start the desktop's sound "
                "server, or set voice.output to a folder to write WAV files)")
NO_PLAYER_FIX = ("安装播放器（apt install alsa-utils），或把 voice.output 设为一个文件夹来写 WAV 文件 "
                 "(install a player, or set voice.output to a folder to write WAV files)")


def _fix(kind: str, detail: str = "") -> str:
    """What to do, for what the engine's check said (espeak-ng being ready is not fixed by installing it)."""
    if "no sound card" in detail:
        return NO_SOUND_FIX
    if "no audio player" in detail:
        return NO_PLAYER_FIX
    return FIXES["serial"] if kind in SERIAL_MODELS else FIXES.get(kind, "")


def run(ctx, args) -> int:
    from jiaohao.cli import emit
    voice = ctx.config.voice
    kind = args.engine or voice.engine
    overrides = {"engine": kind, "output": args.output}
    if kind in SERIAL_MODELS:
        overrides.update(url=args.url, baud=args.baud)
    result = {"engine": kind, "ok": False}
    try:
        engine = open_engine(voice, **overrides)
    except TTSError as e:
        result["error"] = str(e)
        emit(args, result, f"{FAIL_TAG} 语音引擎 (voice engine) {kind}: 打不开 (cannot open): {e}\n  {FIX_TAG} {_fix(kind)}")
        return 1
    try:
        ok, detail = engine.check()
        result.update(ok=ok, detail=detail, name=engine.name)
        if args.status or not ok and kind in SERIAL_MODELS:
            emit(args, result, f"{OK_TAG if ok else FAIL_TAG} {engine.name}: {detail}"
                 + ("" if ok else f"\n  {FIX_TAG} {_fix(kind, detail)}"))
            return 0 if ok else 1
        try:
            text = args.say or call_text(voice, args.number, args.window, style=engine.text_style)
        except ReadingError as e:
            emit(args, {**result, "ok": False, "error": str(e)}, f"读不出来 (cannot read that): {e}")
            return 1
        start = time.monotonic()
        engine.announce(text, repeat=max(1, args.repeat), chime=not args.no_chime)
        seconds = time.monotonic() - start
        written = list(getattr(getattr(engine, "output", None), "written", []))
        files = [{"path": str(p), "seconds": round(read_wav(p).seconds, 2)} for p in written]
        result.update(ok=True, text=text, seconds=round(seconds, 2), files=files)
        lines = [f"{engine.name}: 已播报 said {text!r}" + ("" if files else f"，用时 {seconds:.1f} 秒 (in {seconds:.1f} s)")]
        lines += [f"  已写入 wrote {f['path']}（{f['seconds']:.1f} 秒声音 s of sound）" for f in files]
        if not ok:
            lines.append(f"  note: {detail}")
        emit(args, result, "\n".join(lines))
        return 0
    except TTSError as e:
        result.update(ok=False, error=str(e))
        emit(args, result, f"FAIL {engine.name}: {e}\n  fix: {_fix(kind)}")
        return 1
    finally:
        engine.close()


def check(ctx) -> list[CheckResult]:
    """The configured voice engine: the module answers / espeak-ng and its voice are there /
    the clip set is complete."""
    voice = ctx.config.voice
    if voice.engine == "none":
        return [CheckResult("voice", True, "没有配置语音播报 (no voice configured: engine = none)")]
    device = f"voice {voice.engine}" + (f" {voice.url}" if voice.engine in SERIAL_MODELS else "")
    try:
        engine = open_engine(voice)
    except TTSError as e:
        return [CheckResult(device, False, str(e), _fix(voice.engine))]
    try:
        ok, detail = engine.check()
    finally:
        engine.close()
    return [CheckResult(device, ok, detail, "" if ok else _fix(voice.engine, detail))]
