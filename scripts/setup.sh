#!/usr/bin/env bash
# Installs what AgentRuntime needs to build and test, when it is missing:
#   PostgreSQL 15 (+contrib), pgvector 0.8.0 (built from Debian's source package),
#   sqitch with its PostgreSQL driver, Node.js with the polyglot check's and the A2A check's
#   npm packages (pg, @a2a-js/sdk) and the TypeScript client's (clients/typescript: pg, @google/adk,
#   LangGraph's checkpoint packages, typescript, vitest), curl and jq (the curl session of docs/a2a.md),
#   Python's psycopg (the Python client check), Debian's chromium (the console's browser tests), grate (a .NET tool, .config/dotnet-tools.json),
#   docker-compose (to check docker-compose.yml); libfaketime (a chaos trial moves a host's clock);
#   a Docker engine (Debian's docker.io, started in the background when none answers) and the
#   project's PostgreSQL + pgvector image (docker/postgres), for the tests' Testcontainers;
#   and checks that the .NET SDK (dotnet) is present.
# `setup.sh --demo` installs only what the demo needs: PostgreSQL and pgvector (and checks dotnet).
# Idempotent and fast when everything is already there (no apt-get update then).
# Debian/Ubuntu only for the installs; elsewhere it reports what is missing.
# The Docker part never fails the setup: when the engine cannot start or the image cannot be
# built, it says why and the tests use a local PostgreSQL cluster instead.
# Env: PG_MAJOR (default 15), PGVECTOR_SUITE (Debian suite with pgvector 0.8.0 source, default trixie),
#      AGENT_RUNTIME_SETUP_DOCKER=0 (leave Docker alone), AGENT_RUNTIME_TEST_IMAGE (the image's name,
#      default agent-runtime/postgres-pgvector:15), AGENT_RUNTIME_BASE_IMAGE (the image to build it on;
#      default agent-runtime/debian:bookworm, made here with debootstrap when missing).
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

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

HAVE_APT=0
command -v apt-get >/dev/null 2>&1 && HAVE_APT=1
APT_UPDATED=0
apt_update_once() {
  [ "$APT_UPDATED" = 1 ] && return 0
  log "apt-get update"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  APT_UPDATED=1
}
# The Debian mirror already configured on this machine (only that one may be reachable).
debian_mirror() {
  local m
  m="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -Eo 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)"
  echo "${m:-http://deb.debian.org/debian}"
}
apt_install() {
  [ "$HAVE_APT" = 1 ] || die "missing: $* (no apt-get here: install them with your package manager)"
  apt_update_once
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Docker: the engine, a base image, the project's PostgreSQL image (setup.sh --docker) ---
IMAGE="${AGENT_RUNTIME_TEST_IMAGE:-agent-runtime/postgres-pgvector:15}"
BASE_IMAGE="${AGENT_RUNTIME_BASE_IMAGE:-agent-runtime/debian:bookworm}"
IMAGE_SOURCE="$repo/docker/postgres"

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

start_docker_engine() {
  if docker_answers; then log "docker: the engine answers"; return 0; fi
  if ! command -v dockerd >/dev/null 2>&1; then
    apt_install docker.io
  fi
  command -v docker >/dev/null 2>&1 || apt_install docker.io
  [ "$(id -u)" -eq 0 ] || die "docker: no engine answers and starting dockerd needs root"
  local logf=/var/log/agent-runtime-dockerd.log
  log "docker: starting dockerd in the background (published ports on 127.0.0.1; log: $logf)"
  # setsid: the engine outlives this script; --ip: `-p PORT` publishes on the loopback only.
  setsid dockerd --ip=127.0.0.1 </dev/null >"$logf" 2>&1 &
  local i
  for i in $(seq 1 60); do
    if docker_answers; then log "docker: the engine answers"; return 0; fi
    if ! kill -0 $! 2>/dev/null; then break; fi
    sleep 0.5
  done
  tail -n 5 "$logf" >&2 || true
  die "docker: dockerd did not come up (log: $logf)"
}

image_source_hash() {
  (cd "$IMAGE_SOURCE" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16
}

make_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then return 0; fi
  if [ "$BASE_IMAGE" != agent-runtime/debian:bookworm ]; then
    die "docker: base image $BASE_IMAGE is missing (pull or build it, or unset AGENT_RUNTIME_BASE_IMAGE)"
  fi
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  local mirror rootfs
  mirror="$(debian_mirror)"
  rootfs="$(mktemp -d /var/tmp/agent-runtime-rootfs.XXXXXX)"
  log "docker: making the base image $BASE_IMAGE (debootstrap --variant=minbase bookworm from $mirror)"
  if ! as_root debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
    tail -n 5 "$rootfs.log" >&2; as_root rm -rf "$rootfs" "$rootfs.log"
    die "docker: debootstrap failed"
  fi
  as_root tar -C "$rootfs" --exclude='./var/cache/apt/archives/*.deb' --exclude='./var/lib/apt/lists/*_*' -c . \
    | docker import - "$BASE_IMAGE" >/dev/null
  as_root rm -rf "$rootfs" "$rootfs.log"
}

build_image() {
  local hash
  hash="$(image_source_hash)"
  if [ "$(docker image inspect -f '{{ index .Config.Labels "agent-runtime.source" }}' "$IMAGE" 2>/dev/null)" = "$hash" ]; then
    log "docker: image $IMAGE: present"
    return 0
  fi
  make_base_image
  log "docker: building $IMAGE from docker/postgres on $BASE_IMAGE (PostgreSQL $PG_MAJOR + pgvector)"
  local logf
  logf="$(mktemp /tmp/agent-runtime-docker-build.XXXXXX)"
  if ! docker build --network host --label "agent-runtime.source=$hash" \
      --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "DEBIAN_MIRROR=$(debian_mirror)" \
      --build-arg "PGVECTOR_SUITE=$PGVECTOR_SUITE" --build-arg "PG_MAJOR=$PG_MAJOR" \
      -t "$IMAGE" "$IMAGE_SOURCE" >"$logf" 2>&1; then
    tail -n 15 "$logf" >&2
    die "docker: building $IMAGE failed (log: $logf)"
  fi
  rm -f "$logf"
  log "docker: image $IMAGE: built"
}

if [ "${1:-}" = --docker ]; then
  if ! command -v docker >/dev/null 2>&1 && [ "$HAVE_APT" = 0 ]; then die "docker: not installed"; fi
  start_docker_engine
  build_image
  exit 0
fi

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
  mirror="$(debian_mirror)"
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

require_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH: install it (https://dot.net) and re-run"
  log "dotnet: present"
}
if [ "${1:-}" = --demo ]; then
  require_dotnet
  log "done (what the demo needs)"
  exit 0
fi

# --- sqitch with the PostgreSQL engine ---------------------------------------------------
if command -v sqitch >/dev/null 2>&1 && perl -MDBD::Pg -e1 >/dev/null 2>&1; then
  log "sqitch: present"
else
  apt_install sqitch libdbd-pg-perl
fi

# --- Node.js, the polyglot check's client (pg) and the official A2A SDK -------------------
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  log "node: present"
else
  apt_install nodejs npm
fi
polyglot="$repo/tests/polyglot"
if [ -d "$polyglot/node_modules/pg" ]; then
  log "polyglot client (pg): present"
else
  log "polyglot client (pg): npm ci"
  (cd "$polyglot" && npm ci --no-audit --no-fund --silent --omit-lockfile-registry-resolved >&2)
fi
a2a_client="$repo/tests/a2a"
if [ -d "$a2a_client/node_modules/@a2a-js/sdk" ]; then
  log "A2A client (@a2a-js/sdk): present"
else
  log "A2A client (@a2a-js/sdk): npm ci"
  (cd "$a2a_client" && npm ci --no-audit --no-fund --silent --omit-lockfile-registry-resolved >&2)
fi

# --- the TypeScript client's packages (clients/typescript; its tests run under scripts/test.sh) --
# Installed again when package-lock.json changed since the last npm ci (a stamp in node_modules).
ts_client="$repo/clients/typescript"
node_major_minor="$(node -p 'process.versions.node.split(".").slice(0, 2).join(".")')"
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  die "Node.js $node_major_minor is too old for the TypeScript client's tests (vitest 4 needs 20.19 or later)"
fi
if cmp -s "$ts_client/package-lock.json" "$ts_client/node_modules/.agent-runtime-lock"; then
  log "TypeScript client (clients/typescript): present"
else
  log "TypeScript client (clients/typescript): npm ci"
  (cd "$ts_client" && npm ci --no-audit --no-fund --silent >&2 && cp package-lock.json node_modules/.agent-runtime-lock)
fi

# --- curl and jq (the curl session of docs/a2a.md, which a test runs) ----------------------
if command -v curl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; then
  log "curl, jq: present"
else
  apt_install curl jq
fi

# --- docker-compose (Debian's; a test checks docker-compose.yml with it, with or without an engine)
if command -v docker-compose >/dev/null 2>&1; then
  log "docker-compose: present"
else
  apt_install docker-compose
fi

# --- libfaketime (the chaos trial of a host whose clock runs ahead preloads it) -------------
if ls /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1 >/dev/null 2>&1; then
  log "libfaketime: present"
else
  apt_install faketime
fi

# --- chromium (Debian's; the console's browser tests drive it with Playwright, which never downloads one)
if [ -x /usr/bin/chromium ]; then
  log "chromium: present"
else
  apt_install chromium
fi

# --- Python's psycopg (the Python client check runs Debian's python3) ---------------------
if /usr/bin/python3 -c 'import psycopg' >/dev/null 2>&1; then
  log "python3-psycopg: present"
else
  apt_install python3 python3-psycopg
fi

# --- .NET SDK and the .NET tools of .config/dotnet-tools.json (grate) ---------------------
require_dotnet
(cd "$repo" && DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 dotnet tool restore >/dev/null) \
  || die "dotnet tool restore failed (the tools of .config/dotnet-tools.json: grate)"
log "dotnet tools (grate): restored"

# --- Docker engine and the PostgreSQL + pgvector image (optional) -------------------------
# Published ports bind to 127.0.0.1 (dockerd --ip); the tests reach containers there only.
if [ "${AGENT_RUNTIME_SETUP_DOCKER:-1}" = 0 ]; then
  log "docker: left alone (AGENT_RUNTIME_SETUP_DOCKER=0); tests use a local cluster unless an engine answers"
else
  # A process of its own, so that `set -e` holds there and a failure only ends that part.
  if ! bash "${BASH_SOURCE[0]}" --docker; then
    log "docker: not available (see above): the tests will use a local PostgreSQL cluster"
  fi
fi
log "done"
