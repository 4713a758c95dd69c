# shellcheck shell=bash disable=SC2016
# Shared helpers for scripts/run, scripts/test and scripts/psql (sourced, not run):
# package installation (Debian 12), meson builds, the embedded PostgreSQL 15
# cluster in .data/pg, and database URLs. Everything here is idempotent: a
# second call does nothing (and needs no network) when the work is done.

SK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SK_DATA=$SK_ROOT/.data          # all local state; git-ignored
SK_PGDATA=$SK_DATA/pg           # the embedded cluster
SK_PGLOG=$SK_DATA/pg.log        # its server log
SK_PGPORT=5432                  # only names the socket file: the cluster has no TCP listener

# ---------------------------------------------------------------------------
# Packages (Debian 12 names). The one place that lists what the project needs.
# ---------------------------------------------------------------------------

# To build and run: compiler and meson, the C libraries (zlib for the gzip
# copies of the public results; cairo, pango, libxlsxwriter, libqrencode and a
# font covering Vietnamese for the documents of src/render), PostgreSQL 15 (with
# contrib for unaccent), curl, and acl (setfacl, see sk_grant_traverse). libcurl: the notices'
# sender (src/notify/sender.c) speaks HTTP(S) to the SMS/Zalo gateways and SMTP(S) through it,
# a well-kept Debian library, rather than code of ours.
# cairo + pango + DejaVu (Vietnamese-capable): the link-preview cards
# (src/render/card.c).
SK_PACKAGES_RUN=(
  build-essential meson ninja-build pkg-config
  libmicrohttpd-dev libjansson-dev libpq-dev libsodium-dev libunistring-dev
  zlib1g-dev
  libcairo2-dev libpango1.0-dev libxlsxwriter-dev libqrencode-dev fonts-dejavu-core
  libvips-dev
  libwebp-dev
  postgresql postgresql-contrib
  ca-certificates curl acl
  libcurl4-openssl-dev
)
# Additionally to run the tests and benchmarks: criterion, python3-aiosmtpd (the SMTP
# server of tests/notify/smtp.py), Debian's chromium (+ a font) for the browser tests, wrk for bench/,
# PyYAML for tests/openapi/check_routes.py; pdftotext/pdfinfo and zbarimg to read the
# rendered documents back; the vips CLI and exiftool make and read camera-like photos (tests/media).
# The test list includes SK_PACKAGES_CLUSTER (below) for tests/cluster.
SK_PACKAGES_TEST=(
  libcriterion-dev python3-yaml python3-aiosmtpd
  chromium fonts-liberation
  wrk
  poppler-utils zbar-tools
  libvips-tools libimage-exiftool-perl
)
# For scripts/cluster and tests/cluster (issue 14), well-kept Debian packages doing the job
# instead of code of ours: haproxy (TLS, slow-client deadlines, health checks, retries in
# front of several server processes), pgbackrest (WAL archive, backups, point-in-time
# restore), openssl (the proxy's self-signed certificate).
SK_PACKAGES_CLUSTER=(haproxy pgbackrest openssl)
# Node.js for the browser tests, only installed when no `node` is on PATH
# (any node >= 18 will do; Debian 12 ships 18).
SK_PACKAGES_NODE=(nodejs npm)
# Additionally for scripts/fuzz: clang and its libFuzzer runtime (Debian 12 ships
# libclang_rt.fuzzer*.a for clang 14 in libclang-rt-14-dev).
SK_PACKAGES_FUZZ=(clang libclang-rt-14-dev)

# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

say()  { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ $EUID -eq 0 ]]; }

# ---------------------------------------------------------------------------
# ensure_packages [run|test|cluster|fuzz]: apt-get install whatever is missing.
# ---------------------------------------------------------------------------

_sk_pkg_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

ensure_packages() {
  local what=${1:-run} p
  local -a want=("${SK_PACKAGES_RUN[@]}") missing=()
  if [[ $what == fuzz ]]; then
    want+=("${SK_PACKAGES_FUZZ[@]}")
  fi
  if [[ $what == cluster || $what == test ]]; then
    want+=("${SK_PACKAGES_CLUSTER[@]}")
  fi
  if [[ $what == test ]]; then
    want+=("${SK_PACKAGES_TEST[@]}")
    if ! command -v node >/dev/null; then
      want+=("${SK_PACKAGES_NODE[@]}")
    elif ! command -v npm >/dev/null; then
      want+=(npm)
    fi
  fi
  if ! command -v dpkg-query >/dev/null; then
    warn "not a Debian system: not installing packages; make sure these (or equivalents) are present: ${want[*]}"
    return 0
  fi
  for p in "${want[@]}"; do
    _sk_pkg_installed "$p" || missing+=("$p")
  done
  [[ ${#missing[@]} -gt 0 ]] || return 0

  say "installing packages: ${missing[*]}"
  local -a sudo=()
  if ! is_root; then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}); run as root or install them: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
    || die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed"
}

# ---------------------------------------------------------------------------
# ensure_build DIR [TARGET...] [-Dkey=value...]: configure DIR once (meson
# setup with the -D options), then compile the targets (default: everything).
# If DIR is already configured with other values for those options (e.g. a
# build-test made without sanitizers), they are reconfigured.
# ---------------------------------------------------------------------------

_sk_python() {
  if [[ -x /usr/bin/python3 ]]; then /usr/bin/python3 "$@"; else python3 "$@"; fi
}

# Print the -Dkey=value options (among "$@") whose value differs in build dir $1.
_sk_build_option_drift() {
  local dir=$1; shift
  _sk_python - "$dir" "$@" <<'PY'
import json, sys
d = sys.argv[1]
try:
    opts = {o["name"]: o["value"] for o in json.load(open(d + "/meson-info/intro-buildoptions.json"))}
except Exception:
    sys.exit(0)
def norm(v):
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, list): return ",".join(str(x) for x in v)
    return str(v)
for arg in sys.argv[2:]:
    if not arg.startswith("-D") or "=" not in arg: continue
    k, v = arg[2:].split("=", 1)
    if k in opts and norm(opts[k]) != v:
        print(arg)
PY
}

ensure_build() {
  local dir=$1 a; shift
  local -a opts=() targets=() drift=()
  for a in "$@"; do
    if [[ $a == -* ]]; then opts+=("$a"); else targets+=("$a"); fi
  done
  cd "$SK_ROOT" || return
  if [[ ! -f $dir/build.ninja ]]; then
    say "configuring $dir: meson setup $dir ${opts[*]}"
    if [[ -f $dir/meson-private/coredata.dat ]]; then
      meson setup --wipe "$dir" "${opts[@]}"
    else
      meson setup "$dir" "${opts[@]}"
    fi
  else
    mapfile -t drift < <(_sk_build_option_drift "$dir" "${opts[@]}")
    if [[ ${#drift[@]} -gt 0 ]]; then
      say "reconfiguring $dir: ${drift[*]}"
      meson configure "$dir" "${drift[@]}"
    fi
  fi
  say "building $dir${targets[*]:+ (${targets[*]})}"
  meson compile -C "$dir" ${targets[@]+"${targets[@]}"}
}

# ---------------------------------------------------------------------------
# The embedded PostgreSQL 15 cluster (.data/pg)
#
# initdb/pg_ctl/postgres refuse to run as root, so when we are root they run
# as the `postgres` system user (which owns .data/pg). Otherwise they run as
# the current user. The cluster listens on a unix socket only, in .data/run
# (or /tmp/sangkien-<hash> when that path is too long or unusual for a socket).
# Authentication is `trust` for the database user `postgres`; the socket
# directory is private (mode 0700) so only its owner (and root) can connect.
# ---------------------------------------------------------------------------

SK_CLUSTER_STARTED=0   # set to 1 by ensure_cluster when it started the cluster

# Locate the PostgreSQL server binaries (Debian keeps them off PATH).
_sk_pg_bin() {
  if [[ -n ${SK_PG_BIN:-} ]]; then
    :
  elif [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    SK_PG_BIN=/usr/lib/postgresql/15/bin
  elif command -v pg_config >/dev/null && [[ -x $(pg_config --bindir)/initdb ]]; then
    SK_PG_BIN=$(pg_config --bindir)
  elif command -v initdb >/dev/null; then
    SK_PG_BIN=$(dirname "$(command -v initdb)")
  else
    die "PostgreSQL server binaries not found (expected /usr/lib/postgresql/15/bin)"
  fi
}

# The unix socket directory. A socket path must fit in 108 bytes, and the path
# goes into postgresql.conf and a URL, so anything long or odd moves to /tmp.
sk_socket_dir() {
  local dir=$SK_DATA/run
  if (( ${#dir} > 80 )) || [[ ! $dir =~ ^[A-Za-z0-9/._+-]+$ ]]; then
    dir=/tmp/sangkien-$(printf '%s' "$SK_ROOT" | sha256sum | cut -c1-12)
  fi
  printf '%s\n' "$dir"
}

# The user that owns and runs the cluster.
_sk_pg_owner() { if is_root; then echo postgres; else id -un; fi; }

# Give a path we just created to the cluster owner (a no-op when not root).
_sk_give_to_pg() { if is_root; then chown postgres:postgres "$@"; fi; }

# Run a command as the cluster owner (from /, so no "could not change directory" noise).
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Make every directory from / down to $1 traversable by the postgres user,
# granting execute-only ACL entries where needed (e.g. /root is mode 700).
sk_grant_traverse() {
  local target=$1 d p
  local -a chain=() parts=()
  IFS=/ read -ra parts <<<"${target#/}"
  d=""
  chain+=(/)
  for p in "${parts[@]}"; do
    [[ -n $p ]] || continue
    d+=/$p
    chain+=("$d")
  done
  while :; do
    # One runuser call reports the first directory postgres cannot traverse.
    d=$(cd / && runuser -u postgres -- sh -c 'for d do test -x "$d" || { printf "%s\n" "$d"; exit 1; }; done' sh "${chain[@]}") \
      && return 0
    [[ -n $d ]] || die "cannot check directory permissions for the postgres user"
    if command -v setfacl >/dev/null && setfacl -m u:postgres:x "$d"; then
      say "granted the postgres user traverse-only access to $d (setfacl -m u:postgres:x $d)"
    else
      warn "setfacl failed on $d; falling back to: chmod o+x $d"
      chmod o+x "$d" || die "the postgres user cannot reach $d; move the checkout or grant access"
      say "made $d traversable by other users (chmod o+x $d)"
    fi
  done
}

# Is the postmaster recorded in postmaster.pid really ours? (A pid from before
# a crash or reboot may have been reused by some other process.)
_sk_pid_is_our_postmaster() {
  local pid=$1 cwd
  [[ -d /proc/$pid ]] || return 1
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=""
  if [[ -n $cwd ]]; then
    [[ $cwd == "$SK_PGDATA" ]]
  else
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == postgres ]]
  fi
}

# 0 when our cluster is running. Removes a stale postmaster.pid (and socket
# lock) whose pid now belongs to an unrelated process.
_sk_cluster_running() {
  local pid sock
  as_pg "$SK_PG_BIN/pg_ctl" -D "$SK_PGDATA" status >/dev/null 2>&1 || return 1
  pid=$(as_pg head -n1 "$SK_PGDATA/postmaster.pid" 2>/dev/null) || return 1
  if [[ $pid =~ ^[0-9]+$ ]] && ! _sk_pid_is_our_postmaster "$pid"; then
    sock=$(sk_socket_dir)
    say "removing stale $SK_PGDATA/postmaster.pid (pid $pid is not our PostgreSQL)"
    as_pg rm -f "$SK_PGDATA/postmaster.pid" "$sock/.s.PGSQL.$SK_PGPORT.lock"
    return 1
  fi
  return 0
}

# Wait until the cluster accepts connections on its socket.
_sk_wait_ready() {
  local sock=$1 i
  for ((i = 0; i < 300; i++)); do
    "$SK_PG_BIN/pg_isready" -q -h "$sock" -p "$SK_PGPORT" -d postgres -U postgres && return 0
    sleep 0.1
  done
  return 1
}

# Serialise cluster start/stop between concurrent scripts on one checkout.
# (Only scripts hold it: the fd is closed for pg_ctl, so the postmaster cannot.)
SK_LOCK_FD=""
_sk_lock() {
  [[ -z $SK_LOCK_FD ]] || return 0   # already held by this script
  mkdir -p "$SK_DATA"
  exec {SK_LOCK_FD}>"$SK_DATA/cluster.lock"
  flock "$SK_LOCK_FD"
}
_sk_unlock() {
  [[ -n $SK_LOCK_FD ]] || return 0
  exec {SK_LOCK_FD}>&-
  SK_LOCK_FD=""
}

# Settings written on every start (so a moved checkout still works).
_sk_write_conf() {
  local sock=$1
  as_pg sh -c 'cat > "$1"' sh "$SK_PGDATA/sangkien.conf" <<EOF
# Written by scripts/lib.sh on every start; edits here are overwritten.
# Put your own settings in postgresql.auto.conf (ALTER SYSTEM) instead.
listen_addresses = ''                      # unix socket only, no TCP
port = $SK_PGPORT
unix_socket_directories = '$sock'
unix_socket_permissions = 0700

# Sized for a small machine.
max_connections = 200
shared_buffers = 256MB
effective_cache_size = 1GB
work_mem = 8MB
maintenance_work_mem = 64MB
random_page_cost = 1.1

# Durability: every acknowledged commit is on disk. Do not turn these off.
fsync = on
synchronous_commit = on
full_page_writes = on

# Group commit (issue 12): the backend that flushes the WAL waits commit_delay us for others'
# commits to share the flush, when at least commit_siblings other transactions are open. Every
# commit is still on disk before it is acknowledged.
commit_delay = 200
commit_siblings = 2

# What each statement costs (bench/*.sh print it): needs a restart to load.
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.track_planning = on

log_min_duration_statement = 1000          # log statements slower than 1 s
EOF
}

# ensure_cluster: create (once) and start (unless running) the embedded
# cluster. Sets SK_CLUSTER_STARTED=1 when this call started it.
ensure_cluster() {
  local owner sock stamp
  _sk_pg_bin
  owner=$(_sk_pg_owner)
  sock=$(sk_socket_dir)
  if is_root && ! id postgres >/dev/null 2>&1; then
    die "the postgres system user does not exist (is the postgresql package installed?)"
  fi

  _sk_lock
  # Directories: .data (ours), .data/pg and the socket dir (the cluster owner's).
  mkdir -p "$SK_DATA"
  if is_root; then
    sk_grant_traverse "$SK_DATA"
  fi
  if [[ -e $SK_PGDATA ]]; then
    [[ $(stat -c %U "$SK_PGDATA") == "$owner" ]] \
      || die "$SK_PGDATA belongs to $(stat -c %U "$SK_PGDATA"), not $owner (was it created by $(is_root && echo a non-root user || echo root)?)"
  else
    mkdir -m 700 "$SK_PGDATA"
    _sk_give_to_pg "$SK_PGDATA"
  fi
  if [[ ! -d $sock ]]; then
    mkdir -m 700 "$sock"
    _sk_give_to_pg "$sock"
  fi
  [[ -d $sock && ! -L $sock && $(stat -c %U "$sock") == "$owner" ]] \
    || die "socket directory $sock is not a directory owned by $owner"
  if [[ ! -e $SK_PGLOG ]]; then
    touch "$SK_PGLOG"
    chmod 640 "$SK_PGLOG"
    _sk_give_to_pg "$SK_PGLOG"
  fi

  # Create the cluster once.
  if ! as_pg test -f "$SK_PGDATA/PG_VERSION"; then
    if [[ -n $(as_pg find "$SK_PGDATA" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
      stamp=$SK_DATA/pg.broken-$(date +%Y%m%d%H%M%S)
      warn "$SK_PGDATA is not an initialised cluster; moving it aside to $stamp"
      mv "$SK_PGDATA" "$stamp"
      mkdir -m 700 "$SK_PGDATA"
      _sk_give_to_pg "$SK_PGDATA"
    fi
    say "creating PostgreSQL cluster in .data/pg (initdb, as $owner)"
    if ! as_pg "$SK_PG_BIN/initdb" -D "$SK_PGDATA" --auth=trust --username=postgres \
        --encoding=UTF8 --locale=C.UTF-8 --no-instructions >"$SK_DATA/initdb.log" 2>&1; then
      cat "$SK_DATA/initdb.log" >&2
      die "initdb failed (log above, also in .data/initdb.log)"
    fi
    printf "\n# sangkien: socket, sizes and durability settings\ninclude = 'sangkien.conf'\n" \
      | as_pg sh -c 'cat >> "$1"' sh "$SK_PGDATA/postgresql.conf"
  fi
  _sk_write_conf "$sock"

  if _sk_cluster_running; then
    say "PostgreSQL already running in .data/pg (socket $sock)"
    SK_CLUSTER_STARTED=0
  else
    say "starting PostgreSQL in .data/pg (socket $sock, log .data/pg.log)"
    if ! as_pg "$SK_PG_BIN/pg_ctl" -D "$SK_PGDATA" -l "$SK_PGLOG" -w -t 120 -s start {SK_LOCK_FD}>&-; then
      tail -n 30 "$SK_PGLOG" >&2 || true
      _sk_unlock
      die "PostgreSQL did not start (end of .data/pg.log above)"
    fi
    SK_CLUSTER_STARTED=1
  fi
  if ! _sk_wait_ready "$sock"; then
    _sk_unlock
    die "PostgreSQL in .data/pg is running but not answering on $sock (stop it: $SK_PG_BIN/pg_ctl -D $SK_PGDATA stop)"
  fi
  _sk_unlock
}

# stop_cluster: stop the embedded cluster if ensure_cluster started it, unless
# other clients (another scripts/run, a psql) are still connected to it.
stop_cluster() {
  [[ $SK_CLUSTER_STARTED == 1 ]] || return 0
  SK_CLUSTER_STARTED=0
  local others
  _sk_lock
  others=$("$SK_PG_BIN/psql" "$(db_url postgres)" -XqtAc \
    "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()" 2>/dev/null) || others=0
  if [[ ${others:-0} != 0 ]]; then
    say "leaving PostgreSQL running: $others other connection(s) use it"
  else
    say "stopping PostgreSQL in .data/pg"
    as_pg "$SK_PG_BIN/pg_ctl" -D "$SK_PGDATA" -m fast -w -t 60 -s stop || warn "pg_ctl stop failed (see .data/pg.log)"
  fi
  _sk_unlock
}

# ---------------------------------------------------------------------------
# Databases and URLs
# ---------------------------------------------------------------------------

# Percent-encode everything but unreserved characters and '/'.
_sk_urlencode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9/._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf '%s\n' "$out"
}

# db_url DBNAME: libpq URI for a database of the embedded cluster.
db_url() {
  printf 'postgresql:///%s?host=%s&port=%s&user=postgres\n' "$1" "$(_sk_urlencode "$(sk_socket_dir)")" "$SK_PGPORT"
}

# url_with_dbname URL DBNAME: the same server as URL (URI or key=value form), other database.
url_with_dbname() {
  local url=$1 db=$2
  if [[ $url =~ ^(postgres(ql)?://[^/?#]*)(/[^?#]*)?(.*)$ ]]; then
    printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$(_sk_urlencode "$db")" "${BASH_REMATCH[4]}"
  else
    printf "%s dbname='%s'\n" "$url" "$db"   # libpq: the last dbname= wins
  fi
}

_sk_psql() { _sk_pg_bin; PGOPTIONS="-c client_min_messages=warning" "$SK_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# ensure_database URL DBNAME: create DBNAME on URL's server if it does not exist.
ensure_database() {
  local url=$1 db=$2
  if [[ -z $(_sk_psql "$url" -tAc "select 1 from pg_database where datname = '$db'") ]]; then
    say "creating database $db"
    _sk_psql "$url" -c "create database \"$db\""
  fi
}

# recreate_database URL DBNAME: drop DBNAME (kicking out its sessions) and create it empty.
recreate_database() {
  local url=$1 db=$2
  say "creating a fresh database $db"
  _sk_psql "$url" -c "drop database if exists \"$db\" with (force)"
  _sk_psql "$url" -c "create database \"$db\""
}
