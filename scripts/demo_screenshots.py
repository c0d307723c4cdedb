"""Screenshots of the whole desktop running `jiaohao demo` at three screen sizes, for
docs/demo.md: docs/screenshots/demo-1366x768.png, demo-1920x1080.png, demo-2560x1440.png.

Each size runs the demo under its own Xvfb (no window manager: no title bars) for
--minutes simulated minutes at --speed, then saves the desktop as the day ends.

    /work/main/.venv/bin/python scripts/demo_screenshots.py [--sizes 1366x768,...] [--out docs/screenshots]
        [--windows]   # also each window of the last size on its own (docs/screenshots/demo-NAME.png)
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.xvfb_helpers import Xvfb  # noqa: E402

SIZES = ["1366x768", "1920x1080", "2560x1440"]


def shoot(size: str, out: Path, minutes: float, speed: float, extra: list[str], windows: bool = False) -> Path:
    w, h = (int(v) for v in size.split("x"))
    with Xvfb(w, h) as x, tempfile.TemporaryDirectory(prefix="demo-shots-") as tmp:
        cmd = [sys.executable, "-m", "jiaohao", "demo", "--minutes", str(minutes), "--speed", str(speed),
               "--seed", "2", "--screenshots", tmp, *extra]
        subprocess.run(cmd, cwd=ROOT, env=x.env(), check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
        target = out / f"demo-{size}.png"
        shutil.copy(Path(tmp) / "demo-desktop.png", target)
        print(f"{target}: {(Path(tmp) / 'demo-desktop.json').read_text().count('visible')} windows")
        if windows:  # each window on its own, as docs/demo.md shows them
            for png in sorted(Path(tmp).glob("demo-*.png")):
                if png.name != "demo-desktop.png":
                    shutil.copy(png, out / png.name)
                    print(f"{out / png.name}")
        return target


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(SIZES))
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--minutes", type=float, default=25)
    ap.add_argument("--speed", type=float, default=120)
    ap.add_argument("--windows", action="store_true",
                    help="also save each window of the last size on its own (demo-screen.png, demo-kiosk.png, …)")
    ap.add_argument("demo_args", nargs="*", help="more `jiaohao demo` options, after --")
    args = ap.parse_args()
    if not Xvfb.available():
        print("Xvfb is not installed (apt-get install xvfb)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [s.strip() for s in args.sizes.split(",")]
    for size in sizes:
        shoot(size, args.out, args.minutes, args.speed, args.demo_args, windows=args.windows and size == sizes[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
