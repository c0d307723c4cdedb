#!/usr/bin/env bash
# Install or upgrade jiaohao (叫号) from this bundle alone: no internet, no package index.
# docs/install.md says what it does and how to roll back.
#
#   sudo ./install.sh --role controller|kiosk|caller|screen [--desktop-user NAME]
#   sudo ./install.sh --rollback            # back to the version before the last upgrade
#   ./install.sh --python-only --prefix DIR # the virtualenv only: no packages, users or units
#   ./install.sh --check --role ROLE        # is the bundle whole? (checksums; apt installs the
#                                           # role's packages from it alone on a bare Debian: simulated)
#
# Safe to run again: a second run with the same bundle changes nothing; a run with a newer
# bundle is the upgrade (stop, backup, new virtualenv beside the old one, migrate, start).
# Options: --desktop-user NAME   the auto-login user of a kiosk, screen or window PC
#          --prefix DIR          where the virtualenvs go (default /opt/jiaohao)
#          --python PY           the interpreter of the virtualenv (default python3)
#          --server URL          kiosk, screen, caller on a LAN: the controller's address
#                                (JIAOHAO_SERVER in a drop-in of their units)
#          --with-postgresql     refused: the city's PostgreSQL is set up on the city server (docs/city.md)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prefix=/opt/jiaohao
etc=/etc/jiaohao
data=/var/lib/jiaohao
role=""
desktop_user=""
server=""
python=python3
python_only=0
rollback=0
check=0
export JIAOHAO_CONFIG="${JIAOHAO_CONFIG:-$etc/hall.toml}"
export JIAOHAO_DB="${JIAOHAO_DB:-$data/hall.sqlite}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { echo "jiaohao install: $*"; }
die() { echo "jiaohao install: $1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --role) role="${2:-}"; shift 2 || die "--role needs controller, kiosk, caller or screen" 2 ;;
    --desktop-user) desktop_user="${2:-}"; shift 2 || die "--desktop-user needs a user name" 2 ;;
    --prefix) prefix="${2:-}"; shift 2 || die "--prefix needs a folder" 2 ;;
    --python) python="${2:-}"; shift 2 || die "--python needs an interpreter" 2 ;;
    --server) server="${2:-}"; shift 2 || die "--server needs the controller's address, e.g. http://10.0.0.2:8080" 2 ;;
    --python-only) python_only=1; shift ;;
    --rollback) rollback=1; shift ;;
    --check) check=1; shift ;;
    --with-postgresql) die "the city's PostgreSQL runs on the city server, not on a hall PC: apt install postgresql there, then jiaohao city migrate (docs/city.md); a hall needs only its client, which this bundle has" 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" 2 ;;
  esac
done

state="$prefix/upgrade.state"   # what the last upgrade did, for --rollback
systemd=0
[ "$python_only" = 0 ] && [ -d /run/systemd/system ] && systemd=1

# run a jiaohao command as the service user, so files it makes in /var/lib/jiaohao are its
as_service() {
  if [ "$python_only" = 0 ] && [ "$(id -u)" = 0 ] && id jiaohao >/dev/null 2>&1; then
    # HOME as systemd gives the service (its hall cache goes there, not into root's)
    runuser -u jiaohao -- env HOME="$data" JIAOHAO_CONFIG="$JIAOHAO_CONFIG" JIAOHAO_DB="$JIAOHAO_DB" "$@"
  else
    "$@"
  fi
}

have_database() { [ -f "$JIAOHAO_DB" ] && [ -f "$JIAOHAO_CONFIG" ]; }

# the migrations the database has, comma-separated, read by the jiaohao in venv $1
db_migrations() {
  as_service "$1/bin/jiaohao" version --json | "$1/bin/python" -c \
    'import json, sys; r = json.load(sys.stdin)["record"]; print(",".join(m["name"] for m in (r or {}).get("migrations", [])))'
}

units_of_role() {
  case "$1" in
    controller) echo "jiaohao-serve" ;;
    kiosk) echo "jiaohao-kiosk" ;;
    screen) echo "jiaohao-screen" ;;
    *) ;;
  esac
}

stop_services() {
  [ "$systemd" = 1 ] || return 0
  if systemctl is-active --quiet jiaohao-serve 2>/dev/null; then
    say "stopping jiaohao-serve"
    systemctl stop jiaohao-serve
  fi
  if [ -n "$desktop_user" ]; then
    systemctl --user -M "$desktop_user@" stop jiaohao-kiosk jiaohao-screen 2>/dev/null || true
  elif [ "$role" = kiosk ] || [ "$role" = screen ]; then
    say "close the running jiaohao $role yourself (or give --desktop-user NAME): it still runs the old version"
  fi
}

start_services() {
  [ "$systemd" = 1 ] || return 0
  local r=$1
  if [ "$r" = controller ]; then
    if [ -f "$JIAOHAO_CONFIG" ]; then
      systemctl enable --now jiaohao-serve >/dev/null 2>&1 && say "jiaohao-serve is running" \
        || say "jiaohao-serve did not start: journalctl -u jiaohao-serve says why"
    else
      say "write $JIAOHAO_CONFIG (start from $etc/hall.example.toml), then: systemctl enable --now jiaohao-serve"
    fi
  elif [ "$r" = kiosk ] || [ "$r" = screen ]; then
    systemctl --global enable "jiaohao-$r" >/dev/null 2>&1 || true
    if [ -n "$desktop_user" ]; then
      systemctl --user -M "$desktop_user@" daemon-reload 2>/dev/null || true
      systemctl --user -M "$desktop_user@" start "jiaohao-$r" 2>/dev/null \
        || say "jiaohao-$r starts at $desktop_user's next desktop login"
    else
      say "jiaohao-$r starts at the next desktop login of a user in group jiaohao (--desktop-user NAME adds one)"
    fi
  fi
}

switch_to() {  # point $prefix/current at venv $1, atomically
  ln -sfn "$1" "$prefix/current.new"
  mv -Tf "$prefix/current.new" "$prefix/current"
}

diag_check() {
  [ "$python_only" = 0 ] || return 0
  if [ ! -f "$JIAOHAO_CONFIG" ]; then
    say "no hall config yet ($JIAOHAO_CONFIG): run \`jiaohao diag check\` once it is written"
    return 0
  fi
  say "jiaohao diag check:"
  if as_service "$prefix/current/bin/jiaohao" diag check; then
    say "every device answered"
  else
    say "diag check found problems (above). On a machine whose devices are not plugged in yet" \
        "that is expected; docs/diagnostics.md says what each line means"
  fi
}

# ------------------------------------------------------------------ rollback
if [ "$rollback" = 1 ]; then
  [ "$python_only" = 1 ] || [ "$(id -u)" = 0 ] || die "run it as root (sudo)" 2
  [ -f "$state" ] || die "nothing to roll back: $state does not exist (no upgrade was made by install.sh)"
  # shellcheck disable=SC1090
  . "$state"
  [ "${ROLLED_BACK:-0}" = 0 ] || die "the upgrade to $CURRENT was rolled back already ($ROLLED_BACK_AT)"
  [ -x "$PREVIOUS/bin/jiaohao" ] || die "the previous version's virtualenv $PREVIOUS is gone: cannot roll back"
  role="${ROLE:-$role}"
  stop_services
  if [ -f "$JIAOHAO_DB" ] && [ -n "${BACKUP:-}" ]; then
    now=$(db_migrations "$CURRENT")
    if [ "$now" != "$MIGRATIONS_BEFORE" ]; then
      say "the upgrade changed the database ($MIGRATIONS_BEFORE -> $now): restoring the backup taken before it"
      as_service "$CURRENT/bin/jiaohao" restore "$BACKUP" \
        || die "could not restore $BACKUP (above); the new version stays in place"
      say "records made after the upgrade are in the set-aside file ${JIAOHAO_DB}.before-restore-*"
    else
      say "the upgrade did not change the database: it is kept as it is (today's records stay)"
    fi
  fi
  switch_to "$PREVIOUS"
  { echo "ROLLED_BACK=1"; echo "ROLLED_BACK_AT='$(date '+%F %T')'"; } >> "$state"
  say "rolled back: $prefix/current -> $PREVIOUS ($("$PREVIOUS/bin/jiaohao" --version 2>/dev/null || echo '?'))"
  [ -n "$role" ] && start_services "$role"
  diag_check
  exit 0
fi

# ------------------------------------------------------------------ install / upgrade
[ -f "$here/VERSION" ] || die "run the install.sh inside the unpacked bundle (no VERSION beside it)" 2
version=$(cat "$here/VERSION")
if [ "$python_only" = 0 ]; then
  [ "$check" = 1 ] || [ "$(id -u)" = 0 ] || die "run it as root (sudo), or --python-only for the virtualenv alone" 2
  case "$role" in controller|kiosk|caller|screen) ;;
    *) die "--role controller|kiosk|caller|screen is needed (docs/install.md, roles)" 2 ;; esac
  [ -z "$desktop_user" ] || id "$desktop_user" >/dev/null 2>&1 || die "no user $desktop_user on this machine" 2
  case "$server" in ""|http://*|https://*) ;; *) die "--server needs an http:// or https:// address, not $server" 2 ;; esac
  [ -z "$server" ] || [ "$role" != controller ] || die "--server is for kiosk, screen and caller machines" 2
fi
say "jiaohao $version${role:+, role $role}"
(cd "$here" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1 \
  || die "the bundle is damaged: a file differs from its SHA256SUMS (copy the .tar.gz again and check it)"
if [ "$check" = 1 ] && [ "$python_only" = 1 ]; then
  say "the bundle is whole: checksums right"
  exit 0
fi

# ---- Debian packages from the bundle's own repository
if [ "$python_only" = 0 ]; then
  role_packages() {
    local line word
    line=$(sed -n "s/^$1:[[:space:]]*//p" "$here/deploy/debian-packages.txt")
    for word in $line; do case "$word" in @*) role_packages "${word#@}" ;; *) echo "$word" ;; esac; done
  }
  mapfile -t pkgs < <(role_packages "$role" | sort -u)
  missing=()
  for p in "${pkgs[@]}"; do
    [ "$check" = 0 ] && [ "$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ -f "$here/debs/Packages" ] || die "missing Debian packages (${missing[*]}) and this bundle has none (made with --no-debs)"
    grep -qx "$role" "$here/ROLES" || die "this bundle was made without role $role (its roles: $(tr '\n' ' ' < "$here/ROLES"))"
    say "$([ "$check" = 1 ] && echo checking || echo installing) ${#missing[@]} Debian packages from the bundle: ${missing[*]}"
    apt_dir=$(mktemp -d)
    echo "deb [trusted=yes] file:$here/debs ./" > "$apt_dir/sources.list"
    apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
              -o Dir::State::Lists="$apt_dir/lists" -o APT::Get::List-Cleanup=0
              -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
              -o APT::Sandbox::User=root -o Acquire::Languages=none)
    mkdir -p "$apt_dir/lists/partial"
    apt-get "${apt_opts[@]}" update -qq
    if [ "$check" = 1 ]; then  # as on a machine with nothing installed: every dependency from the bundle
      apt-get "${apt_opts[@]}" -o Dir::State::status=/dev/null -o Debug::NoLocking=1 install -s -qq \
        --no-install-recommends "${missing[@]}" >/dev/null || die "apt cannot install role $role from this bundle alone (above)"
      rm -rf "$apt_dir"
      say "the bundle is whole: checksums right, and apt installs role $role's ${#missing[@]} packages from it alone"
      exit 0
    fi
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -rf "$apt_dir"
  else
    say "Debian packages: all there"
  fi

  # ---- the service user, the folders and their modes
  if ! id jiaohao >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$data" --no-create-home --shell /usr/sbin/nologin jiaohao
    say "made the service user jiaohao"
  fi
  for g in dialout lp audio; do
    getent group "$g" >/dev/null && usermod -aG "$g" jiaohao
  done
  if [ -n "$desktop_user" ]; then
    usermod -aG jiaohao,dialout,lp "$desktop_user"
    say "$desktop_user is in groups jiaohao, dialout, lp (from the next login)"
  fi
  install -d -m 0755 -o root -g root "$prefix"
  install -d -m 0750 -o root -g jiaohao "$etc"
  install -m 0640 -o root -g jiaohao "$here/config/hall.example.toml" "$etc/hall.example.toml"
  install -D -m 0644 "$here/deploy/jiaohao.tmpfiles.conf" /etc/tmpfiles.d/jiaohao.conf
  if command -v systemd-tmpfiles >/dev/null; then
    systemd-tmpfiles --create /etc/tmpfiles.d/jiaohao.conf
  else
    install -d -m 2770 -o jiaohao -g jiaohao "$data"
  fi
  chmod 2770 "$data"  # systemd-tmpfiles leaves the mode of a folder that existed before
  chown jiaohao:jiaohao "$data"
fi

# ---- the virtualenv of this version, beside the others (rollback = switching back)
target="$prefix/venvs/$version"
mkdir -p "$prefix/venvs"
if [ -x "$target/bin/jiaohao" ] && "$target/bin/jiaohao" --version 2>/dev/null | grep -q "^jiaohao $version "; then
  say "jiaohao $version is installed already in $target"
else
  rm -rf "$target"
  say "making $target"
  "$python" -m venv "$target"
  # only the bundle's wheels: no index, no local pip configuration
  env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
    "$target/bin/python" -m pip install -q --no-index --no-cache-dir --find-links "$here/wheels" \
    "$here"/wheels/jiaohao-*.whl
  "$target/bin/jiaohao" --version >/dev/null || die "the new virtualenv $target does not run jiaohao"
fi

previous=""
if [ -L "$prefix/current" ]; then
  previous=$(readlink -f "$prefix/current")
elif [ -x "$prefix/.venv/bin/jiaohao" ]; then
  previous="$prefix/.venv"   # an installation made with scripts/setup.sh in /opt/jiaohao
fi

if [ -n "$previous" ] && [ "$previous" != "$(readlink -f "$target")" ]; then
  say "upgrading from $("$previous/bin/jiaohao" --version 2>/dev/null || echo "$previous") to jiaohao $version"
  stop_services
  backup="" before=""
  if have_database; then
    backup=$(as_service "$target/bin/jiaohao" backup --json | "$target/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["path"])') \
      || die "the backup before the upgrade failed (above): nothing was changed; start the services again"
    say "backup before the upgrade: $backup"
    before=$(db_migrations "$target")
  fi
  { echo "# written by install.sh $version on $(date '+%F %T'): what --rollback undoes"
    echo "PREVIOUS='$previous'"; echo "CURRENT='$target'"; echo "ROLE='$role'"
    echo "BACKUP='$backup'"; echo "MIGRATIONS_BEFORE='$before'"; } > "$state.new"
  mv "$state.new" "$state"
  if have_database && ! as_service "$target/bin/jiaohao" migrate; then
    say "the database upgrade failed (above): restoring the backup and staying on the previous version"
    as_service "$target/bin/jiaohao" restore "$backup" || true
    echo "ROLLED_BACK=1; ROLLED_BACK_AT='$(date '+%F %T') (the failed migration)'" >> "$state"
    [ -n "$role" ] && start_services "$role"
    die "upgrade to $version not done; the hall runs $previous as before"
  fi
  switch_to "$target"
else
  switch_to "$target"
fi

# ---- commands, units, udev rule
if [ "$python_only" = 0 ]; then
  ln -sfn "$prefix/current/bin/jiaohao" /usr/local/bin/jiaohao
  install -m 0755 "$here/install.sh" "$prefix/install.sh"   # for --rollback later
  cp "$here/VERSION" "$prefix/VERSION"
  cp "$here/README.md" "$prefix/README.md"
  to_unit() { mkdir -p "$(dirname "$2")"; sed "s#/opt/jiaohao/.venv/bin/#$prefix/current/bin/#g" "$here/deploy/$1" > "$2.new" && mv "$2.new" "$2"; }
  case "$role" in
    controller) to_unit jiaohao-serve.service /etc/systemd/system/jiaohao-serve.service ;;
    kiosk|screen) to_unit "jiaohao-$role.service" "/etc/systemd/user/jiaohao-$role.service" ;;
    caller) [ -f "$here/deploy/jiaohao-caller@.service" ] \
              && to_unit "jiaohao-caller@.service" "/etc/systemd/user/jiaohao-caller@.service" ;;
  esac
  if [ -n "$server" ]; then  # a drop-in: the shipped unit stays as it is
    unit="jiaohao-$role.service"; [ "$role" = caller ] && unit="jiaohao-caller@.service"
    mkdir -p "/etc/systemd/user/$unit.d"
    printf '[Service]\nEnvironment=JIAOHAO_SERVER=%s\n' "$server" > "/etc/systemd/user/$unit.d/server.conf"
    say "$unit talks to the hall server $server (/etc/systemd/user/$unit.d/server.conf)"
  fi
  if [ "$role" = controller ] || [ "$role" = kiosk ]; then
    install -D -m 0644 "$here/deploy/99-jiaohao.rules" /etc/udev/rules.d/99-jiaohao.rules
    if [ -d /run/udev ] && command -v udevadm >/dev/null; then
      udevadm control --reload && udevadm trigger --subsystem-match=tty --subsystem-match=usb || true
    fi
  fi
  [ "$systemd" = 1 ] && systemctl daemon-reload
  start_services "$role"
  if [ "$role" = caller ]; then
    if [ -f /etc/systemd/user/jiaohao-caller@.service ]; then
      say "as the window PC's desktop user: systemctl --user enable --now jiaohao-caller@N (N = the window)"
    else
      say "start the software caller on the window PC: jiaohao caller --window N"
    fi
  fi
fi
say "done: $prefix/current -> $(readlink "$prefix/current")"
diag_check
