#!/usr/bin/env bash
# Make dist/jiaohao-<version>-bundle.tar.gz: everything a hall machine with no internet
# needs to install or upgrade jiaohao (docs/install.md). Run it on a connected machine of
# the same Debian release and architecture as the hall's (Debian 12 amd64 today): the
# wheels are for its Python, the .deb files for its release.
#
#   bash scripts/bundle.sh                     # all roles, as root (apt downloads the .deb files)
#   bash scripts/bundle.sh --no-debs           # the Python part only (wheels), any user
#
# Options: --roles controller,kiosk,caller,screen   (default: all)
#          --out DIR          (default: dist)
#          --python PY        the interpreter the wheels are for (default: python3)
#          --wheel-cache DIR  wheels kept between runs (default: ~/.cache/jiaohao/bundle-wheels);
#                             a run whose wheels are all there asks no package index
#          --deb-cache DIR    .deb files kept between runs (default: ~/.cache/jiaohao/bundle-debs)
#          --no-apt-update    use apt's package lists as they are
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

roles="controller,kiosk,caller,screen"
debs=1
apt_update=1
out="$root/dist"
python=python3
cache="${XDG_CACHE_HOME:-$HOME/.cache}/jiaohao"
wheel_cache="$cache/bundle-wheels"
deb_cache="$cache/bundle-debs"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "bundle: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --roles) roles="${2:?--roles needs a list}"; shift 2 ;;
    --no-debs) debs=0; shift ;;
    --no-apt-update) apt_update=0; shift ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --python) python="${2:?--python needs an interpreter}"; shift 2 ;;
    --wheel-cache) wheel_cache="${2:?}"; shift 2 ;;
    --deb-cache) deb_cache="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

version=$(sed -n 's/^VERSION = "\(.*\)"$/\1/p' hall/versions.py)
[ -n "$version" ] || die "no VERSION in hall/versions.py"
name="jiaohao-$version-bundle"
started=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage/wheels" "$stage/debs" "$wheel_cache" "$out"
out=$(cd "$out" && pwd)

# Debian packages of a role, @groups expanded (deploy/debian-packages.txt)
role_packages() {
  local line word
  line=$(sed -n "s/^$1:[[:space:]]*//p" deploy/debian-packages.txt)
  [ -n "$line" ] || die "no role '$1' in deploy/debian-packages.txt"
  for word in $line; do
    case "$word" in @*) role_packages "${word#@}" ;; *) echo "$word" ;; esac
  done
}

# ---- 1. the project's wheel, built from a copy of the sources (no build/ left in the tree)
echo "bundle: jiaohao $version: building the wheel"
src="$work/src"
mkdir -p "$src"
cp pyproject.toml README.md "$src/"
for pkg in config hall drivers caller display kiosk server jiaohao; do
  [ -d "$pkg" ] && cp -r "$pkg" "$src/"
done
find "$src" -name __pycache__ -prune -exec rm -rf {} +
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$python" -m pip wheel -q --no-deps --wheel-dir "$stage/wheels" "$src"
wheel=$(ls "$stage"/wheels/jiaohao-*.whl)

# ---- 2. every Python dependency as a wheel: from the cache alone when it has them all
echo "bundle: the Python dependencies"
if "$python" -m pip wheel -q --no-index --find-links "$wheel_cache" --wheel-dir "$stage/wheels" "$wheel" 2>/dev/null; then
  echo "bundle: all wheels came from $wheel_cache"
else
  "$python" -m pip wheel -q --find-links "$wheel_cache" --wheel-dir "$stage/wheels" "$wheel"
fi
for w in "$stage"/wheels/*.whl; do
  case "$(basename "$w")" in jiaohao-*) ;; *) cp -n "$w" "$wheel_cache/" ;; esac
done

# ---- 3. the Debian packages of the roles with all their dependencies
if [ "$debs" = 1 ]; then
  [ "$(id -u)" = 0 ] || die "the .deb files need apt as root (or --no-debs for the Python part only)"
  command -v apt-get >/dev/null || die "no apt-get here: make the bundle on Debian (or --no-debs)"
  pkgs=()
  for r in ${roles//,/ }; do
    while read -r p; do pkgs+=("$p"); done < <(role_packages "$r")
  done
  mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
  echo "bundle: ${#pkgs[@]} Debian packages for ${roles} and their dependencies"
  [ "$apt_update" = 1 ] && apt-get update -qq
  mkdir -p "$deb_cache/partial"
  # resolved as on a machine with nothing installed, so the bundle has every dependency
  apt_opts=(-o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o Dir::Cache::archives="$deb_cache"
            -o APT::Install-Recommends=0 -o APT::Sandbox::User=root)
  apt-get install -y -qq --download-only "${apt_opts[@]}" "${pkgs[@]}" >/dev/null
  # the files of this resolution (the cache may hold older ones): "Inst NAME (VERSION … [ARCH])"
  apt-get install -s -qq "${apt_opts[@]}" "${pkgs[@]}" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([^]]*\)\].*/\1 \2 \3/p' |
  while read -r pkg ver arch; do
    f="${pkg}_${ver//:/%3a}_${arch}.deb"
    [ -f "$deb_cache/$f" ] || die "apt downloaded no $f"
    cp "$deb_cache/$f" "$stage/debs/"
  done
  # a flat repository for apt on the hall machine: a Packages index beside the files
  (cd "$stage/debs"
   for f in *.deb; do
     dpkg-deb -f "$f"
     echo "Filename: ./$f"
     echo "Size: $(stat -c %s "$f")"
     echo "SHA256: $(sha256sum "$f" | cut -d' ' -f1)"
     echo
   done > Packages)
fi
printf '%s\n' ${roles//,/ } > "$stage/ROLES"
[ "$debs" = 1 ] || echo "none" > "$stage/debs/NONE"

# ---- 4. the installer and what it installs besides the code
cp scripts/install.sh "$stage/install.sh"
chmod 755 "$stage/install.sh"
mkdir -p "$stage/deploy" "$stage/docs" "$stage/config"
cp deploy/* "$stage/deploy/"
cp docs/install.md docs/backup.md docs/diagnostics.md "$stage/docs/"
cp README.md CHANGELOG.md "$stage/"
cp config/halls/demo.toml "$stage/config/hall.example.toml"
echo "$version" > "$stage/VERSION"
(cd "$stage" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS)

# ---- 5. one file (the wheels and .deb files are compressed already: gzip -1)
tarball="$out/$name.tar.gz"
tar -C "$work" -cf - "$name" | gzip -1 > "$tarball.part"
mv "$tarball.part" "$tarball"
echo "bundle: $tarball ($(du -m "$tarball" | cut -f1) MB, $(ls "$stage"/wheels | wc -l) wheels," \
     "$(ls "$stage"/debs/*.deb 2>/dev/null | wc -l) .deb files, $(( $(date +%s) - started )) s)"
