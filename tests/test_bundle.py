"""The offline install bundle (issue 21): scripts/bundle.sh builds it, its install.sh
installs the Python part into a fresh virtualenv with the package index unreachable, runs
again without changing anything, upgrades a hall in the middle of its day and rolls back.

Building uses pip's cache and a wheel cache kept between runs (~/.cache/jiaohao), so only
the first run on a machine downloads; the figures are printed (pytest -s)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path

import pytest

from hall.db import known_migrations
from hall.versions import VERSION

from . import previous_release as previous
from .previous_release import ROOT

pytestmark = pytest.mark.slow

HOME_CACHE = Path.home() / ".cache"  # not the tests' XDG_CACHE_HOME: kept between runs
DEMO_NOW = ROOT / "config" / "halls" / "demo.toml"


def _hall_file_both_versions_read() -> Path:
    """The demo hall as a hall upgraded from 0.1.0 keeps it: the ticket QR as 0.1.0 wrote
    it (0.1.0 refuses the status page's {status_url}, which this version added), and no
    [booking] section (0.1.0 had no online booking and refuses the key)."""
    from tests.booking_helpers import without_booking
    text = without_booking(DEMO_NOW.read_text(encoding="utf-8"))
    text = re.sub(r'(?m)^qr = .*$', 'qr = "https://zwfw.example.gov.cn/t/{ticket_id}"', text)
    path = Path(tempfile.mkdtemp(prefix="jiaohao-bundle-hall-")) / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


DEMO = _hall_file_both_versions_read()
UNREACHABLE_INDEX = "http://127.0.0.1:9/"  # the discard port: nothing listens


def build(out: Path, *options: str) -> tuple[Path, float]:
    env = {**os.environ, "PIP_CACHE_DIR": str(HOME_CACHE / "pip")}
    t0 = time.monotonic()
    p = subprocess.run(["bash", str(ROOT / "scripts" / "bundle.sh"), "--python", sys.executable, "--out", str(out),
                        "--wheel-cache", str(HOME_CACHE / "jiaohao" / "bundle-wheels"), *options],
                       capture_output=True, text=True, env=env, timeout=900)
    took = time.monotonic() - t0
    assert p.returncode == 0, p.stdout + p.stderr[-3000:]
    tarball = out / f"jiaohao-{VERSION}-bundle.tar.gz"
    assert tarball.is_file() and f"bundle: {tarball}" in p.stdout
    print(f"\nbundle.sh {' '.join(options)}: {took:.1f} s, {tarball.stat().st_size / 2**20:.0f} MiB")
    return tarball, took


def unpack(tarball: Path, dest: Path) -> Path:
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="data")
    return dest / f"jiaohao-{VERSION}-bundle"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tarball, _ = build(tmp_path_factory.mktemp("dist"), "--no-debs")
    return tarball


def offline_env(db: Path, **extra) -> dict:
    """No package index to be had, no local pip configuration: the bundle alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_INDEX_URL=UNREACHABLE_INDEX, PIP_CONFIG_FILE=os.devnull, JIAOHAO_DB=str(db),
               JIAOHAO_CONFIG=str(DEMO), JIAOHAO_NOW=previous.DAY, **extra)
    return env


def install(bundle_dir: Path, prefix: Path, env: dict, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(bundle_dir / "install.sh"), "--python-only", "--prefix", str(prefix),
                           "--python", sys.executable, *options],
                          capture_output=True, text=True, env=env, timeout=600, cwd=bundle_dir.parent)


def run(exe: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=60, cwd=exe.parent)


def test_the_bundle_holds_every_dependency_as_a_wheel_and_what_install_sh_needs(bundle):
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
    top = f"jiaohao-{VERSION}-bundle"
    for f in ("install.sh", "VERSION", "SHA256SUMS", "README.md", "CHANGELOG.md", "docs/install.md",
              "deploy/jiaohao-serve.service", "deploy/jiaohao-kiosk.service", "deploy/jiaohao-screen.service",
              "deploy/99-jiaohao.rules", "deploy/jiaohao.tmpfiles.conf", "deploy/debian-packages.txt",
              "config/hall.example.toml", f"wheels/jiaohao-{VERSION}-py3-none-any.whl"):
        assert f"{top}/{f}" in names, f
    wheels = {re.split(r"-\d", Path(n).name, maxsplit=1)[0].lower().replace("_", "-")
              for n in names if n.endswith(".whl")}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    for dep in declared:
        name = re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0].lower().replace("_", "-")
        assert name in wheels, f"{name} has no wheel in the bundle"
    assert all(n.endswith(("none-any.whl", "x86_64.whl")) or not n.endswith(".whl") for n in names)


def test_installs_into_a_fresh_virtualenv_with_no_index(bundle, tmp_path):
    here = unpack(bundle, tmp_path / "usb")
    prefix, db = tmp_path / "opt-jiaohao", tmp_path / "data" / "hall.sqlite"
    db.parent.mkdir()
    env = offline_env(db)
    t0 = time.monotonic()
    p = install(here, prefix, env)
    took = time.monotonic() - t0
    assert p.returncode == 0, p.stdout + p.stderr
    print(f"\ninstall.sh --python-only (fresh virtualenv, --no-index): {took:.1f} s")
    current = prefix / "current"
    assert current.resolve() == (prefix / "venvs" / VERSION).resolve()

    jiaohao = current / "bin" / "jiaohao"
    assert run(jiaohao, env, "--version").stdout == f"jiaohao {VERSION} (database schema {known_migrations()[-1]})\n"
    issued = run(jiaohao, env, "queue", "issue", "A", "--json")
    assert issued.returncode == 0, issued.stderr
    assert json.loads(issued.stdout)["number"] == "A001"
    assert json.loads(run(jiaohao, env, "queue", "status", "--json").stdout)["services"][0]["waiting"] == 1
    where = run(current / "bin" / "python", env, "-c", "import hall, server, jiaohao; print(hall.__file__)")
    assert Path(where.stdout.strip()).resolve().is_relative_to((prefix / "venvs" / VERSION).resolve()), \
        where.stdout  # the installed copy, not this checkout

    # again: the same version is not installed twice, nothing changes, the hall goes on
    mtime = (prefix / "venvs" / VERSION / "bin" / "python").lstat().st_mtime_ns
    t0 = time.monotonic()
    again = install(here, prefix, env)
    assert again.returncode == 0, again.stderr
    assert "installed already" in again.stdout and time.monotonic() - t0 < 30
    assert (prefix / "venvs" / VERSION / "bin" / "python").lstat().st_mtime_ns == mtime
    assert json.loads(run(jiaohao, env, "queue", "issue", "A", "--json").stdout)["number"] == "A002"


def test_a_damaged_bundle_is_refused_before_anything_is_installed(bundle, tmp_path):
    here = unpack(bundle, tmp_path / "usb")
    wheel = next((here / "wheels").glob("pyserial-*.whl"))
    wheel.write_bytes(wheel.read_bytes()[:-100])  # a copy cut short
    p = install(here, tmp_path / "opt", offline_env(tmp_path / "hall.sqlite"))
    assert p.returncode == 1 and "damaged" in p.stderr and p.stderr.count("\n") == 1, p.stderr
    assert not (tmp_path / "opt").exists()


def test_upgrade_during_the_day_then_rollback(bundle, tmp_path):
    """install.sh over the previous release: backup, new virtualenv beside the old one,
    migrate, switch; --rollback switches back and restores the backup only if migrated."""
    old_code = previous.unpack(tmp_path / "code-0.1.0")
    prefix = tmp_path / "opt"
    old_venv = previous.wrapper_venv(old_code, prefix / "venvs" / previous.VERSION)
    (prefix / "current").symlink_to(old_venv)
    db = tmp_path / "data" / "hall.sqlite"
    db.parent.mkdir()
    env = offline_env(db)
    old = prefix / "current" / "bin" / "jiaohao"
    for service in "AAB":
        assert run(old, env, "queue", "issue", service).returncode == 0
    assert json.loads(run(old, env, "queue", "call", "1", "--json").stdout)["number"] == "A001"

    p = install(unpack(bundle, tmp_path / "usb"), prefix, env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"upgrading from jiaohao {previous.VERSION} to jiaohao {VERSION}" in p.stdout
    assert (prefix / "current").resolve() == (prefix / "venvs" / VERSION).resolve()
    assert old_venv.is_dir()  # kept beside the new one
    state = (prefix / "upgrade.state").read_text()
    backup = Path(re.search(r"BACKUP='(.*)'", state).group(1))
    assert backup.is_file() and backup.parent == db.parent / "backups"
    assert f"MIGRATIONS_BEFORE='{','.join(previous.MIGRATIONS)}'" in state

    new = prefix / "current" / "bin" / "jiaohao"
    record = json.loads(run(new, env, "version", "--json").stdout)["record"]
    assert record["state"] == "current" and record["program_version"] == VERSION
    assert json.loads(run(new, env, "queue", "finish", "1", "--json").stdout)["number"] == "A001"
    assert json.loads(run(new, env, "queue", "issue", "A", "--json").stdout)["number"] == "A003"

    p = install(unpack(bundle, tmp_path / "usb2"), prefix, env, "--rollback")
    assert p.returncode == 0, p.stdout + p.stderr
    assert (prefix / "current").resolve() == old_venv.resolve()
    migrated = known_migrations() != previous.MIGRATIONS
    status = json.loads(run(old, env, "queue", "status", "--json").stdout)
    a = next(s for s in status["services"] if s["code"] == "A")
    if migrated:  # the backup from before the upgrade: A003 is in the set-aside file
        assert "restoring the backup" in p.stdout and a["issued_today"] == 2
        assert list(db.parent.glob("hall.sqlite.before-restore-*"))
    else:  # nothing to undo in the database: the tickets since the upgrade stay
        assert "kept as it is" in p.stdout and a["issued_today"] == 3
    again = install(unpack(bundle, tmp_path / "usb3"), prefix, env, "--rollback")
    assert again.returncode == 1 and "rolled back already" in again.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("apt-get") is None,
                    reason="downloading .deb files with their dependencies needs apt-get as root (Debian)")
def test_debian_packages_with_their_dependencies_install_from_the_bundle_alone(tmp_path):
    lists = Path("/var/lib/apt/lists")
    have_lists = any(lists.glob("*_Packages*"))
    tarball, took = build(tmp_path / "dist", "--roles", "caller", "--deb-cache", str(HOME_CACHE / "jiaohao" / "bundle-debs"),
                          *(["--no-apt-update"] if have_lists else []))
    here = unpack(tarball, tmp_path / "usb")
    debs = list((here / "debs").glob("*.deb"))
    assert (here / "debs" / "Packages").is_file() and len(debs) > 19
    assert any(d.name.startswith("python3-venv_") for d in debs)
    assert any(d.name.startswith("fonts-wqy-microhei_") for d in debs)
    # apt resolves the caller's packages from the bundle's repository alone, as on a bare machine
    p = subprocess.run([str(here / "install.sh"), "--check", "--role", "caller"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "apt installs role caller" in p.stdout
    p = subprocess.run([str(here / "install.sh"), "--check", "--role", "controller"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 1 and "without role controller" in p.stderr
