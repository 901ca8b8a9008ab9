#!/usr/bin/env bash
# Installs what AgentRuntime needs to build and test, when it is missing:
#   PostgreSQL 15 (+contrib), pgvector 0.8.0 (built from Debian's source package),
#   sqitch with its PostgreSQL driver, Node.js with the polyglot check's npm packages;
#   and checks that the .NET SDK (dotnet) is present.
# Idempotent and fast when everything is already there (no apt-get update then).
# Debian/Ubuntu only for the installs; elsewhere it reports what is missing.
# Env: PG_MAJOR (default 15), PGVECTOR_SUITE (Debian suite with pgvector 0.8.0 source, default trixie).
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PGVECTOR_SUITE="${PGVECTOR_SUITE:-trixie}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_SHARE="/usr/share/postgresql/${PG_MAJOR}"
PG_LIB="/usr/lib/postgresql/${PG_MAJOR}/lib"

log() { echo "setup: $*" >&2; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else SUDO=(__no_root__); fi
fi
as_root() {
  if [ "${SUDO[0]:-}" = "__no_root__" ]; then die "need root (or sudo) to run: $*"; fi
  "${SUDO[@]}" "$@"
}

HAVE_APT=0
command -v apt-get >/dev/null 2>&1 && HAVE_APT=1
APT_UPDATED=0
apt_update_once() {
  [ "$APT_UPDATED" = 1 ] && return 0
  log "apt-get update"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  APT_UPDATED=1
}
apt_install() {
  [ "$HAVE_APT" = 1 ] || die "missing: $* (no apt-get here: install them with your package manager)"
  apt_update_once
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- PostgreSQL server + contrib -------------------------------------------------------
if [ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] \
   && [ -f "$PG_SHARE/extension/pgcrypto.control" ] && command -v psql >/dev/null 2>&1; then
  log "PostgreSQL $PG_MAJOR: present"
else
  apt_install "postgresql-$PG_MAJOR" postgresql-contrib "postgresql-client-$PG_MAJOR"
fi

# --- pgvector ----------------------------------------------------------------------------
if [ -f "$PG_SHARE/extension/vector.control" ] && [ -f "$PG_LIB/vector.so" ]; then
  log "pgvector: present"
else
  [ "$HAVE_APT" = 1 ] || die "pgvector missing for PostgreSQL $PG_MAJOR (build it from https://github.com/pgvector/pgvector)"
  # Server headers (PGXS). Prefer the version matching the installed server.
  if [ ! -x "$PG_BIN/pg_config" ] || [ ! -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ]; then
    apt_update_once
    pkg="postgresql-server-dev-$PG_MAJOR"
    srv_ver="$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR" 2>/dev/null || true)"
    if [ -n "$srv_ver" ] && apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$srv_ver"; then
      pkg="$pkg=$srv_ver"
    fi
    apt_install "$pkg" make gcc
  fi
  command -v make >/dev/null 2>&1 || apt_install make
  # Mirror already configured on this machine (only that one may be reachable).
  mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -Eo 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  work="$(mktemp -d /tmp/pgvector-build.XXXXXX)"
  trap 'as_root rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/src"
  chmod 755 "$work" "$work/lists"; chmod 777 "$work/src"
  if id _apt >/dev/null 2>&1; then as_root chown _apt "$work/lists/partial" || true; fi
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ -f "$keyring" ]; then
    echo "deb-src [signed-by=$keyring] $mirror $PGVECTOR_SUITE main" >"$work/sources.list"
  else
    echo "deb-src $mirror $PGVECTOR_SUITE main" >"$work/sources.list"
  fi
  aptopts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists"
           -o "APT::Get::List-Cleanup=0")
  log "pgvector: fetching Debian source package from $mirror $PGVECTOR_SUITE"
  as_root apt-get "${aptopts[@]}" update -qq >&2
  (cd "$work/src" && as_root apt-get "${aptopts[@]}" source --download-only -qq pgvector >&2)
  orig="$(ls "$work"/src/pgvector_*.orig.tar.* 2>/dev/null | head -n1)"
  [ -n "$orig" ] || die "pgvector source package not found in $PGVECTOR_SUITE"
  log "pgvector: building $(basename "$orig")"
  mkdir -p "$work/build"
  tar -xf "$orig" -C "$work/build" --strip-components=1
  # OPTFLAGS="" : portable build (no -march=native), like Debian's own package.
  make -C "$work/build" -s -j"$(nproc)" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" with_llvm=no >&2
  as_root make -C "$work/build" -s install PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" with_llvm=no >&2
  as_root rm -rf "$work"; trap - EXIT
  [ -f "$PG_SHARE/extension/vector.control" ] || die "pgvector install did not produce vector.control"
  log "pgvector: installed"
fi

# --- sqitch with the PostgreSQL engine ---------------------------------------------------
if command -v sqitch >/dev/null 2>&1 && perl -MDBD::Pg -e1 >/dev/null 2>&1; then
  log "sqitch: present"
else
  apt_install sqitch libdbd-pg-perl
fi

# --- Node.js and the polyglot check's client (pg) ----------------------------------------
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  log "node: present"
else
  apt_install nodejs npm
fi
polyglot="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/polyglot"
if [ -d "$polyglot/node_modules/pg" ]; then
  log "polyglot client (pg): present"
else
  log "polyglot client (pg): npm ci"
  (cd "$polyglot" && npm ci --no-audit --no-fund --silent --omit-lockfile-registry-resolved >&2)
fi

# --- .NET SDK ----------------------------------------------------------------------------
if ! command -v dotnet >/dev/null 2>&1; then
  die "dotnet (the .NET 10 SDK) is not on PATH: install it (https://dot.net) and re-run"
fi
log "dotnet: present"
log "done"
