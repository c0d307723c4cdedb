"""How long the guide's search takes: building the pinyin index and answering queries,
for the large hall's 174 items and a 700-item hall (the 174 repeated four times, the top
of DESIGN.md's range). Prints figures; not a test.

Run: python benchmarks/guide_search.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import load_hall  # noqa: E402
from config.guide import Guide, guide_folder, load_guide  # noqa: E402
from config.guide_search import SearchIndex  # noqa: E402

QUERIES = ["bdc", "budongchan", "不动产", "hz", "jiehun", "sbk", "A01", "zzzz", "gongjijin", "qy"]


def main() -> None:
    halls = Path(__file__).resolve().parent.parent / "config" / "halls"
    t0 = time.perf_counter()
    cfg = load_hall(halls / "large.toml")
    guide = load_guide(guide_folder(halls / "large.toml"), cfg)
    print(f"load 174 guide files (parse + check): {1000 * (time.perf_counter() - t0):.0f} ms")
    for n in (1, 4):
        entries = [e.model_copy(update={"code": f"{e.code}-{i}"}) for i in range(n) for e in guide.entries]
        t0 = time.perf_counter()
        index = SearchIndex(entries)
        build = time.perf_counter() - t0
        times = []
        for _ in range(20):
            for q in QUERIES:
                t0 = time.perf_counter()
                index.search(q)
                times.append(time.perf_counter() - t0)
        times.sort()
        print(f"{len(entries)} items: index {1000 * build:.0f} ms; query median {1000 * statistics.median(times):.2f} ms, "
              f"max {1000 * times[-1]:.2f} ms ({len(times)} queries)")
    print(f"first search in a fresh process includes pypinyin's dictionaries: see `time jiaohao guide search bdc`")
    Guide(guide.entries).search("bdc")


if __name__ == "__main__":
    main()
