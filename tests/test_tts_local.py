"""The local engines: espeak-ng to WAV files, the clips engine and the shipped clip set."""
from __future__ import annotations

import shutil
import wave

import numpy as np
import pytest

from drivers.tts import TTSError, open_engine
from drivers.tts.audio import Player, Sound, make_chime, read_wav, write_wav
from drivers.tts.clips import CHIME, CLIP_FILES, CLIP_RATE, GAP_S, REQUIRED, SHIPPED_DIR, ClipLibrary, ClipsEngine
from drivers.tts.local import EspeakEngine, espeak_voices

CALL = "请A零二三号到五号窗口办理"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def rms(sound: Sound) -> float:
    return float(np.sqrt(np.mean(sound.samples.astype(np.float64) ** 2))) / 32768


@needs_espeak
def test_the_pinyin_voice_exists():
    voices = espeak_voices()
    assert "cmn-latn-pinyin" in voices
    assert "yue" in voices


@needs_espeak
@pytest.mark.parametrize("backend", ["cli", "pyttsx3"])
def test_espeak_writes_a_wav_of_plausible_length(tmp_path, backend):
    if backend == "pyttsx3":
        pytest.importorskip("pyttsx3")
    engine = EspeakEngine(output=tmp_path, backend=backend)
    engine.speak(CALL)
    [path] = engine.output.written
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        seconds = w.getnframes() / w.getframerate()
    # 13 syllables at espeak's default 175 words a minute: measured 3.77 s (3.42 s of speech)
    assert 2.5 < seconds < 5.5
    assert rms(read_wav(path)) > 0.05  # speech, not silence


@needs_espeak
def test_espeak_speed_setting_changes_the_length(tmp_path):
    slow = EspeakEngine(speed=0).render(CALL).seconds
    fast = EspeakEngine(speed=10).render(CALL).seconds
    assert slow > fast * 1.4


@needs_espeak
def test_a_whole_announcement_is_one_file(tmp_path):
    engine = EspeakEngine(output=tmp_path, chime_sound=make_chime(16000))
    speech = engine.render(CALL).seconds
    engine.announce(CALL, repeat=2, chime=True)
    [path] = engine.output.written
    chime = make_chime(16000).seconds
    expected = chime + 0.25 + speech + engine.pause_s + speech
    assert read_wav(path).seconds == pytest.approx(expected, abs=0.02)


@needs_espeak
def test_open_engine_from_config(demo_config, tmp_path):
    voice = demo_config.voice.model_copy(update={"output": str(tmp_path)})
    engine = open_engine(voice)
    assert isinstance(engine, EspeakEngine)
    assert engine.voice == "cmn-latn-pinyin"
    ok, detail = engine.check()
    assert ok, detail
    yue = open_engine(voice.model_copy(update={"language": "yue"}))
    assert yue.voice == "yue"


def test_a_failing_player_is_an_error(tmp_path):
    path = write_wav(tmp_path / "x.wav", make_chime(8000))
    with pytest.raises(TTSError, match="cannot play"):
        Player(["false"]).play(path)
    player = Player()
    player.command = None
    with pytest.raises(TTSError, match="no audio player"):
        player.play(path)


def test_sound_helpers_round_trip(tmp_path):
    stereo_44k = np.stack([np.full(4410, 1000, np.int16), np.full(4410, 3000, np.int16)], axis=1)
    with wave.open(str(tmp_path / "s.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(stereo_44k.tobytes())
    sound = read_wav(tmp_path / "s.wav")
    assert sound.rate == 44100 and sound.seconds == pytest.approx(0.1)
    assert int(sound.samples[100]) == 2000  # mixed down to mono
    assert sound.at_rate(16000).seconds == pytest.approx(0.1, abs=0.001)
    with pytest.raises(TTSError, match="not a readable WAV"):
        (tmp_path / "bad.wav").write_bytes(b"RIFF nonsense")
        read_wav(tmp_path / "bad.wav")


# -- clips -----------------------------------------------------------------------------
def test_shipped_clip_set_is_complete_and_sane():
    library = ClipLibrary(SHIPPED_DIR)
    assert library.missing() == []
    assert library.chime_path is not None
    for words in REQUIRED:
        sound = library.sound(words)
        assert 0.1 < sound.seconds < 1.0, words
        assert rms(sound) > 0.03, words
    for stem in [*CLIP_FILES.values(), CHIME]:
        with wave.open(str(SHIPPED_DIR / f"{stem}.wav")) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, CLIP_RATE)


def test_clips_tokenize_by_longest_match():
    library = ClipLibrary(SHIPPED_DIR)
    tokens, missing = library.tokens("请A零二三号到十二号窗口办理")
    assert tokens == ["请", "A", "零", "二", "三", "号", "到", "十", "二", "号", "窗口", "办理"]
    assert missing == []
    tokens, missing = library.tokens("请b一号，到窗口")
    assert tokens == ["请", "B", "一", "号", " ", "到", "窗口"]
    assert library.tokens("请保持安静")[1] == ["保", "持", "安", "静"]


def test_clips_engine_joins_the_clips(tmp_path):
    engine = ClipsEngine(output=tmp_path)
    library = engine.library
    engine.speak(CALL)
    [path] = engine.output.written
    tokens, _ = library.tokens(CALL)
    expected = sum(library.sound(t).seconds for t in tokens) + GAP_S * (len(tokens) - 1)
    assert read_wav(path).seconds == pytest.approx(expected, abs=0.01)
    ok, detail = engine.check()
    assert ok and "clips" in detail


def test_clips_engine_with_a_halls_own_clips(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    for stem in ["qing", "A", "ling", "er", "san", "hao", "dao", "wu"]:
        shutil.copy(SHIPPED_DIR / f"{stem}.wav", folder / f"{stem}.wav")
    # a recording at 44.1 kHz of a whole phrase, named by its words
    write_wav(folder / "号窗口办理.wav", Sound(np.full(44100, 500, np.int16), 44100))
    engine = ClipsEngine(folder=folder, output=tmp_path / "out")
    assert engine.library.tokens(CALL) == (["请", "A", "零", "二", "三", "号", "到", "五", "号窗口办理"], [])
    engine.speak(CALL)
    assert engine.library.sound("号窗口办理").seconds == pytest.approx(1.0)
    ok, detail = engine.check()
    assert not ok and "窗口" in detail and "chime" in detail
    with pytest.raises(TTSError, match="no clip"):
        engine.speak("保持安静")
    with pytest.raises(TTSError, match="does not exist"):
        ClipsEngine(folder=tmp_path / "nowhere")


# -- the sound-card path, with stand-in players (this test machine has no sound card) ------
def test_sound_card_path_hands_one_wav_to_the_player(tmp_path):
    engine = ClipsEngine()  # no output folder: the sound card
    engine.output.player = Player(["cp", "-t", str(tmp_path)])  # "plays" by keeping a copy
    engine.announce(CALL, repeat=2, chime=True)
    [played] = list(tmp_path.glob("*.wav"))
    assert read_wav(played).seconds == pytest.approx(engine.announcement(CALL, 2, True).seconds, abs=0.01)
    engine.output.player = Player(["false"])
    with pytest.raises(TTSError, match="cannot play"):
        engine.speak(CALL)


def test_closing_the_engine_cuts_the_player_short(tmp_path):
    import threading
    import time
    engine = ClipsEngine()
    engine.output.player = Player(["sh", "-c", "sleep 10", "player"])
    errors = []
    t = threading.Thread(target=lambda: _capture(errors, engine.speak, CALL))
    start = time.monotonic()
    t.start()
    time.sleep(0.3)
    engine.close()
    t.join(timeout=5)
    assert not t.is_alive() and time.monotonic() - start < 5
    assert len(errors) == 1 and "stopped" in str(errors[0])  # not said to the end: not "spoken"


def _capture(errors, func, *args):
    try:
        func(*args)
    except Exception as e:  # noqa: BLE001
        errors.append(e)


@needs_espeak
@pytest.mark.parametrize("language,low,high", [("yue", 2.0, 6.0), ("en", 2.0, 6.0)])
def test_cantonese_and_english_calls_are_spoken(demo_config, tmp_path, language, low, high):
    from drivers.tts.reading import call_text
    voice = demo_config.voice.model_copy(update={"language": language, "output": str(tmp_path)})
    engine = open_engine(voice)
    text = call_text(voice, "A023", 12)
    engine.speak(text)
    [path] = engine.output.written
    sound = read_wav(path)
    assert low < sound.seconds < high, (text, sound.seconds)
    assert rms(sound) > 0.05
