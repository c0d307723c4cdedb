"""The dependency arrows of DESIGN.md, checked on every module's imports."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["city", "config", "hall", "drivers", "caller", "display", "kiosk", "server", "jiaohao"]
STDLIB = set(sys.stdlib_module_names)

# package -> top-level imports allowed besides the stdlib and itself
ALLOWED = {
    "config": {"pydantic", "pypinyin"},  # pypinyin: the guide's search (config/guide_search.py)
    # httpx: the remote hall over HTTP and its event stream; chinese_calendar: working days
    "hall": {"config", "sqlite_utils", "httpx", "chinese_calendar"},
    "city": {"hall", "config", "psycopg", "numpy"},  # city/: the hall's records in the city's PostgreSQL
}
# package -> top-level imports it must not make
FORBIDDEN = {
    "drivers": {"PySide6", "hall", "caller", "display", "kiosk", "server"},
    "server": {"PySide6", "drivers", "caller", "display", "kiosk"},  # server/ uses hall/ and config/
    "config": {"server"}, "hall": {"server", "city"}, "caller": {"server"}, "display": {"server"}, "kiosk": {"server"},
}
FORBIDDEN_EVERYWHERE_BUT_ITSELF = {"jiaohao"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def modules():
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            yield pkg, path


@pytest.mark.parametrize("pkg,path", list(modules()), ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v)
def test_imports_follow_the_arrows(pkg, path):
    found = imports(path) - STDLIB - {pkg}
    if pkg != "jiaohao":
        assert not found & FORBIDDEN_EVERYWHERE_BUT_ITSELF, f"{path.name} imports jiaohao/"
    if pkg in ALLOWED:
        extra = found - ALLOWED[pkg]
        assert not extra, f"{pkg}/ may not import {sorted(extra)}"
    bad = found & FORBIDDEN.get(pkg, set())
    assert not bad, f"{pkg}/ may not import {sorted(bad)}"


def test_every_third_party_import_is_a_declared_dependency():
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in project["dependencies"]}
    dists = packages_distributions()
    missing = {}
    for pkg, path in modules():
        for name in imports(path) - STDLIB - set(PACKAGES):
            owners = {d.lower().replace("_", "-") for d in dists.get(name, [name])}
            if not owners & declared:
                missing.setdefault(name, str(path.relative_to(ROOT)))
    assert not missing, f"imported but not in pyproject dependencies: {missing}"
