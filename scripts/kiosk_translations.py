#!/usr/bin/env python3
"""Regenerate the kiosk's translation files.

1. ``pyside6-lupdate`` collects every ``translate("Kiosk", …)`` string of kiosk/*.py
   into kiosk/i18n/kiosk_zh_CN.ts, keeping the translations already there (edit the
   .ts with Qt Linguist, ``pyside6-linguist``, or any text editor).
2. ``pyside6-lrelease`` compiles it to kiosk/i18n/kiosk_zh_CN.qm, which the kiosk loads.

Run from anywhere: ``python scripts/kiosk_translations.py``. It fails when a string
has no Chinese translation yet, so nothing reaches a citizen in the wrong language.
"""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIOSK = ROOT / "kiosk"
LANGUAGES = ["zh_CN"]


def untranslated(ts: Path) -> list[str]:
    tree = ET.parse(ts)
    out = []
    for msg in tree.iter("message"):
        t = msg.find("translation")
        if t is None or t.get("type") in ("unfinished",) or not ("".join(t.itertext()).strip()):
            if t is None or t.get("type") != "vanished":
                out.append(msg.findtext("source"))
    return out


def main() -> int:
    sources = sorted(str(p.relative_to(ROOT)) for p in KIOSK.glob("*.py"))
    status = 0
    for lang in LANGUAGES:
        ts = KIOSK / "i18n" / f"kiosk_{lang}.ts"
        subprocess.run(["pyside6-lupdate", *sources, "-no-obsolete", "-ts", str(ts.relative_to(ROOT))],
                       cwd=ROOT, check=True)
        missing = untranslated(ts)
        if missing:
            print(f"{ts.name}: {len(missing)} string(s) without a translation:", file=sys.stderr)
            for m in missing:
                print(f"  {m}", file=sys.stderr)
            status = 1
        subprocess.run(["pyside6-lrelease", str(ts), "-qm", str(ts.with_suffix(".qm"))], cwd=ROOT, check=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
