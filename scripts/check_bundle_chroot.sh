#!/usr/bin/env bash
# Try a bundle on a bare Debian as a technician would, before taking it to a hall: a
# minimal Debian 12 (debootstrap --variant=minbase) in a temporary folder, the bundle
# installed there as root with its role (Debian packages from the bundle, service user,
# folders, units, udev rule), tickets issued and called as the service user, install.sh
# run again, and with a second, newer bundle: the upgrade during the day and --rollback.
#
#   sudo bash scripts/check_bundle_chroot.sh dist/jiaohao-A-bundle.tar.gz [NEWER-bundle.tar.gz] [--role R]
#
# Runs in its own mount namespace (the /proc and /dev it mounts vanish with it) and
# removes its folder at the end. No systemd runs in the chroot: units are installed, not
# started. Needs root and debootstrap; the bare system is downloaded once and kept as
# ~/.cache/jiaohao/debian-bookworm-minbase.tar.gz. Prints PASS or the step that failed.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "check: run it as root" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "check: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

role=controller
bundles=()
while [ $# -gt 0 ]; do
  case "$1" in
    --role) role="$2"; shift 2 ;;
    *) bundles+=("$(readlink -f "$1")"); shift ;;
  esac
done
[ ${#bundles[@]} -ge 1 ] || { echo "check: name a bundle (.tar.gz)" >&2; exit 2; }

base="${XDG_CACHE_HOME:-$HOME/.cache}/jiaohao/debian-bookworm-minbase.tar.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
if [ ! -f "$base" ]; then
  echo "check: making a bare Debian 12 (once; kept as $base)"
  mkdir -p "$(dirname "$base")"
  debootstrap --variant=minbase bookworm "$root" >/dev/null
  tar -C "$root" -czf "$base.part" . && mv "$base.part" "$base"
else
  mkdir -p "$root" && tar -C "$root" -xzf "$base"
fi
mkdir -p "$root/usb"
names=()
for b in "${bundles[@]}"; do
  tar -C "$root/usb" -xzf "$b"
  names+=("$(basename "$b" .tar.gz)")
done

cat > "$root/usb/check.sh" <<'EOF'
set -euo pipefail
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin JIAOHAO_NOW=2026-11-23T09:00
export JIAOHAO_CONFIG=/etc/jiaohao/hall.toml JIAOHAO_DB=/var/lib/jiaohao/hall.sqlite
role=$1; shift
fail() { echo "check: FAIL: $*" >&2; exit 1; }
as_jiaohao() { runuser -u jiaohao -- env HOME=/var/lib/jiaohao "$@"; }
number() { as_jiaohao jiaohao queue issue A --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])'; }
t0=$(date +%s)
/usr/sbin/dpkg-query -W python3 >/dev/null 2>&1 && fail "the bare system has python3 already"
(cd "/usb/$1" && ./install.sh --role "$role") > /usb/log-1 2>&1 || { cat /usb/log-1; fail "first install"; }
echo "check: first install (Debian packages, user, folders, venv): $(( $(date +%s) - t0 )) s"
[ "$(stat -c '%a %U %G' /var/lib/jiaohao)" = "2770 jiaohao jiaohao" ] || fail "/var/lib/jiaohao mode"
[ "$(stat -c '%a %U %G' /etc/jiaohao)" = "750 root jiaohao" ] || fail "/etc/jiaohao mode"
id -nG jiaohao | grep -qw dialout || fail "jiaohao not in dialout"
if [ "$role" = controller ]; then
  grep -q "^ExecStart=/opt/jiaohao/current/bin/jiaohao serve" /etc/systemd/system/jiaohao-serve.service || fail "unit"
  [ -f /etc/udev/rules.d/99-jiaohao.rules ] || fail "udev rule"
fi
install -m 0640 -g jiaohao /etc/jiaohao/hall.example.toml /etc/jiaohao/hall.toml
[ "$(number)" = A001 ] && [ "$(number)" = A002 ] || fail "tickets"
as_jiaohao jiaohao queue call 1 >/dev/null
t0=$(date +%s)
(cd "/usb/$1" && ./install.sh --role "$role") > /usb/log-2 2>&1 || { cat /usb/log-2; fail "second run"; }
grep -q "installed already" /usb/log-2 || fail "second run installed again"
grep -q "jiaohao diag check:" /usb/log-2 || fail "no diag check at the end"
echo "check: second run (nothing to do, diag check): $(( $(date +%s) - t0 )) s"
[ "$(number)" = A003 ] || fail "numbering after the second run"
if [ $# -ge 2 ]; then
  t0=$(date +%s)
  (cd "/usb/$2" && ./install.sh --role "$role") > /usb/log-3 2>&1 || { cat /usb/log-3; fail "upgrade"; }
  grep -q "upgrading from" /usb/log-3 || fail "no upgrade"
  echo "check: upgrade (venv, backup, migrate): $(( $(date +%s) - t0 )) s"
  [ "$(number)" = A004 ] || fail "numbering after the upgrade"
  as_jiaohao jiaohao queue finish 1 >/dev/null || fail "the call made before the upgrade"
  /opt/jiaohao/install.sh --rollback > /usb/log-4 2>&1 || { cat /usb/log-4; fail "rollback"; }
  grep -E "kept as it is|restoring the backup" /usb/log-4 | head -1
  n=$(number)
  [ "$n" = A005 ] || [ "$n" = A004 ] || fail "numbering after the rollback ($n)"
  echo "check: rolled back to $(jiaohao --version)"
fi
echo "check: PASS ($role)"
EOF

unshare --mount --propagation private bash -c '
  mount -t proc proc "$1/proc" && mount --bind /dev "$1/dev"
  shift; chroot "$0" /usr/bin/env -i HOME=/root /bin/bash /usb/check.sh "$@"
' "$root" "$root" "$role" "${names[@]}"
