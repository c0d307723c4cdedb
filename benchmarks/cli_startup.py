"""Start-up time of the `jiaohao` command, against `python -c pass` in the same run.

    python benchmarks/cli_startup.py            # 15 rounds
    python benchmarks/cli_startup.py -n 40

Each round runs every command once, in turn, so a machine that slows down during the
run slows all of them alike; the figures are medians of whole processes (wall clock,
start to exit). Target: `jiaohao queue …` under 150 ms. The queue commands read the hall
from its validated copy in the cache folder (config/cache.py), made by the warm-up round;
"no cache" runs one with a cache folder that cannot be made, i.e. what the first command
after an edit of the hall file costs. `import pydantic.main` and `import config.schema`
are printed too: what that copy saves (the hall file is validated with pydantic).
Bytecode is written by a warm-up run first, as an installed package has it
(PYTHONDONTWRITEBYTECODE would make every run compile the project's modules again).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

COMMANDS = [
    ("python -c pass", [PY, "-c", "pass"]),
    ("python -c 'import pydantic.main'", [PY, "-c", "import pydantic.main"]),
    ("python -c 'import config.schema'", [PY, "-c", "import config.schema"]),
    ("jiaohao --help", [PY, "-m", "jiaohao", "--help"]),
    ("jiaohao queue issue A", [PY, "-m", "jiaohao", "queue", "issue", "A"]),
    ("jiaohao queue status", [PY, "-m", "jiaohao", "queue", "status"]),
    ("jiaohao queue call 1", [PY, "-m", "jiaohao", "queue", "call", "1"]),
    ("jiaohao queue status (no cache)", [PY, "-m", "jiaohao", "queue", "status"]),
]
NO_CACHE = "jiaohao queue status (no cache)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "JIAOHAO_DB": str(Path(tmp) / "bench.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00:00",
               "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        for name in ("JIAOHAO_CONFIG", "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        (Path(tmp) / "not-a-folder").write_text("")
        no_cache = {**env, "XDG_CACHE_HOME": str(Path(tmp) / "not-a-folder")}
        times: dict[str, list[float]] = {label: [] for label, _ in COMMANDS}
        for round_ in range(args.rounds + 1):
            for label, argv in COMMANDS:
                t0 = time.perf_counter()
                p = subprocess.run(argv, cwd=ROOT, env=no_cache if label == NO_CACHE else env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                elapsed = time.perf_counter() - t0
                if p.returncode != 0:
                    print(f"{label}: exit {p.returncode}: {p.stderr.decode(errors='replace').strip()}", file=sys.stderr)
                    return 1
                if round_:  # round 0 writes the bytecode and the database
                    times[label].append(elapsed)
    base = statistics.median(times["python -c pass"])
    print(f"{'command':<36} {'median ms':>9} {'min ms':>7} {'x pass':>7}   ({args.rounds} rounds, {os.cpu_count()} cpu, "
          f"load {os.getloadavg()[0]:.1f})")
    for label, _ in COMMANDS:
        t = times[label]
        med = statistics.median(t)
        print(f"{label:<36} {med * 1000:9.1f} {min(t) * 1000:7.1f} {med / base:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
