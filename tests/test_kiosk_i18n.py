"""Every kiosk string is in the Chinese translation file, translated, and compiled."""
from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

KIOSK = Path(__file__).resolve().parent.parent / "kiosk"
TS = KIOSK / "i18n" / "kiosk_zh_CN.ts"


def source_strings() -> set[str]:
    """The literal texts of every translate("Kiosk", "…") call in kiosk/*.py."""
    found = set()
    for path in KIOSK.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "translate"
                    and len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2])):
                assert node.args[0].value == "Kiosk", f"{path.name}:{node.lineno}: context must be 'Kiosk'"
                found.add(node.args[1].value)
    return found


def ts_messages() -> dict[str, str]:
    out = {}
    for msg in ET.parse(TS).iter("message"):
        t = msg.find("translation")
        assert t is not None and t.get("type") is None, f"unfinished translation: {msg.findtext('source')}"
        out[msg.findtext("source")] = t.text or ""
    return out


def test_every_string_is_translated():
    strings = source_strings()
    assert len(strings) > 50
    messages = ts_messages()
    missing = sorted(strings - set(messages))
    assert not missing, f"run python scripts/kiosk_translations.py: {missing}"
    assert all(messages[s].strip() for s in strings)
    for s in strings:  # placeholders survive translation
        for ph in ("%1", "%2", "%3"):
            assert (ph in s) == (ph in messages[s]), s


def test_compiled_file_loads_with_the_translations():
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QTranslator
    qm = TS.with_suffix(".qm")
    t = QTranslator()
    assert t.load(str(qm))
    assert t.translate("Kiosk", "Ticket issue paused, please go to the service desk") == "暂停取号，请到服务台"
    assert t.translate("Kiosk", "Please take your ticket") == "请取票"
