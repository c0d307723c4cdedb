"""Search the guide by Chinese name, full pinyin or pinyin initials (``bdc`` → 不动产登记).

pypinyin gives each name its readings: the reading in context (``lazy_pinyin`` knows its
phrases: 重庆 is chongqing) and, for names with few characters of several readings, the
other combinations too, so a citizen who types ``zhongqing`` still finds it. The index is
built once per guide (a few ms for 700 items) and a query costs a scan of short strings.
"""
from __future__ import annotations

import itertools
import re
import unicodedata

_HAN = re.compile(r"[\u3400-\u9fff]")
_KEEP = re.compile(r"[^0-9a-z\u3400-\u9fff]")
MAX_READINGS = 16


def normalize(text: str) -> str:
    """Lower case, full-width letters and digits folded, spaces and punctuation gone."""
    return _KEEP.sub("", unicodedata.normalize("NFKC", text).lower())


def readings(text: str) -> list[tuple[str, str]]:
    """(full pinyin, initials) of ``text``'s Chinese and ASCII, in context first."""
    return [("".join(s), "".join(x[0] for x in s if x)) for s in syllables(text)]


def syllables(text: str) -> list[tuple[str, ...]]:
    """The syllables of each reading of ``text`` (an ASCII character is a syllable of its own)."""
    from pypinyin import Style, lazy_pinyin, pinyin
    text = normalize(text)
    if not text:
        return []
    first = tuple(lazy_pinyin(text, errors=lambda s: list(s)))
    out = [first]
    # one character at a time: on a phrase pypinyin gives only the phrase's reading
    per_char = [pinyin(c, style=Style.NORMAL, heteronym=True, errors=lambda s: [[s]])[0] for c in text]
    count = 1
    for options in per_char:
        count *= len(options)
    if 1 < count <= MAX_READINGS:
        for combo in itertools.product(*per_char):
            if combo not in out:
                out.append(combo)
    return out


def _tails(syl: tuple[str, ...]) -> tuple[str, str, list[str]]:
    """Full pinyin, initials, and the full pinyin from each later syllable on."""
    return "".join(syl), "".join(x[0] for x in syl if x), ["".join(syl[i:]) for i in range(1, len(syl))]


class SearchIndex:
    """Entries with their names' readings; :meth:`search` ranks matches best first."""

    def __init__(self, entries):
        self.rows = []
        for e in entries:
            names = [e.name, *e.keywords]
            self.rows.append((e, [normalize(n) for n in names], [[_tails(s) for s in syllables(n)] for n in names],
                              normalize(f"{e.department} {e.item_code} {e.name_en}"), e.code.lower()))

    def search(self, text: str, limit: int = 50) -> list:
        q = normalize(text)
        if not q:
            return []
        han = bool(_HAN.search(q))
        scored = []
        for e, names, reads, other, code in self.rows:
            rank = self._rank(q, han, names, reads, other, code)
            if rank is not None:
                scored.append((rank, len(e.name), e.code, e))
        scored.sort(key=lambda t: t[:3])
        return [t[3] for t in scored[:limit]]

    @staticmethod
    def _rank(q: str, han: bool, names, reads, other: str, code: str) -> int | None:
        if q == code:
            return 0
        best = None
        for i, name in enumerate(names):
            kw = 0 if i == 0 else 5  # the item's own name before its keywords
            if name.startswith(q):
                r = 1
            elif q in name:
                r = 2
            elif han:
                continue
            else:
                found = []
                for j, (full, initials, tails) in enumerate(reads[i]):
                    later = 0.5 if j else 0  # a reading other than the one in context: a little later
                    if initials.startswith(q):
                        found.append(3 + later)
                    elif full.startswith(q):
                        found.append(4 + later)
                    elif q in initials:
                        found.append(5 + later)
                    elif any(t.startswith(q) for t in tails):  # full pinyin from a syllable on
                        found.append(6 + later)
                if not found:
                    continue
                r = min(found)
            r += kw
            best = r if best is None else min(best, r)
        if best is None and (q in other or code.startswith(q)):
            best = 30
        return best
