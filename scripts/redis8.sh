#!/usr/bin/env bash
# redis8.sh - make a Redis 8 server (Debian 13 "trixie" redis 8.0.x, vector sets built in)
# runnable on this Debian 12 machine without compiling, cached after the first run.
#
# Usage:
#   scripts/redis8.sh            print the launcher's absolute path on stdout, exit 0
#   scripts/redis8.sh --check    same, and also start the server on a free loopback port,
#                                run INFO / MODULE LIST / VADD / VSIM over RESP, report on
#                                stderr, shut the server down (exit 1 if the check fails)
#   scripts/redis8.sh --help
#
# The launcher takes the usual redis-server arguments, e.g.
#   "$(scripts/redis8.sh)" --port 7000 --save '' --appendonly no
#   "$(scripts/redis8.sh)" /path/to/redis.conf --port 7001
# and execs the server, so signals reach it and $! is the server's pid.
#
# How: a PRIVATE apt configuration (own sources list with "<this machine's Debian mirror>
# trixie main", own lists/cache/state folders; the machine's apt setup is only read, never
# changed) downloads redis-tools, libc6, libstdc++6 and libgcc-s1 from trixie and unpacks them
# with dpkg -x into one folder. trixie's redis-tools ships /usr/bin/redis-check-rdb, which is
# the full server binary (redis picks its mode from argv[0]); the launcher runs it through
# trixie's own ld-linux-x86-64.so.2 with --argv0 redis-server. Debian 12's libjemalloc2,
# liblzf1 and libatomic1 are needed at run time and are installed with apt-get if missing.
#
# Everything lives in ${POLYPHONY_REDIS8_HOME:-$HOME/.cache/polyphony/redis8}. Progress goes to
# stderr; stdout carries only the launcher path. Safe to run concurrently (flock).
# Optional: POLYPHONY_REDIS8_MIRROR=<Debian archive URI> overrides the mirror found in the
# machine's apt sources.
set -euo pipefail

# Bump when the layout or the launcher changes: a tree built by another recipe is rebuilt.
readonly RECIPE=1
readonly SUITE=trixie
readonly PACKAGES=(redis-tools libc6 libstdc++6 libgcc-s1)
readonly HOST_PACKAGES=(libjemalloc2 liblzf1 libatomic1)
readonly HOST_LIBS=(libjemalloc.so.2 liblzf.so.1 libatomic.so.1)
readonly HOST_LIBDIRS=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu)

log() { printf 'redis8: %s\n' "$*" >&2; }
die() { printf 'redis8: error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; }

check=0
case "${1:-}" in
  '') ;;
  --check) check=1 ;;
  -h|--help) usage; exit 0 ;;
  *) usage; die "unknown argument: $1" ;;
esac
[ $# -le 1 ] || die "too many arguments"

home="${POLYPHONY_REDIS8_HOME:-${HOME:?HOME is not set}/.cache/polyphony/redis8}"
case "$home" in /*) ;; *) home="$PWD/$home" ;; esac
readonly home
readonly launcher="$home/redis8-server"
readonly cli="$home/redis8-cli"
readonly root="$home/root"
readonly marker="$home/.complete"

# --- readiness tests (the cached fast path: file tests only, no network, no apt) ------------

tree_ready() {
  [ -f "$marker" ] && [ -x "$launcher" ] && [ -x "$root/usr/bin/redis-check-rdb" ] || return 1
  local first
  IFS= read -r first < "$marker" || return 1
  [ "$first" = "recipe=$RECIPE" ]
}

missing_host_packages() {  # prints the Debian 12 packages whose library is not on the machine
  local i d found
  for i in "${!HOST_LIBS[@]}"; do
    found=0
    for d in "${HOST_LIBDIRS[@]}"; do
      if [ -e "$d/${HOST_LIBS[$i]}" ]; then found=1; break; fi
    done
    [ "$found" = 1 ] || printf '%s\n' "${HOST_PACKAGES[$i]}"
  done
}

# --- the machine's Debian mirror ---------------------------------------------------------------

# Prints the URI of the main Debian archive from the machine's apt sources: the first "deb"
# entry (one-line *.list format or deb822 *.sources) whose suite is exactly this release's
# codename (so not "<codename>-security"/"-updates") and whose components include "main".
debian_mirror() {
  if [ -n "${POLYPHONY_REDIS8_MIRROR:-}" ]; then
    log "Debian mirror from POLYPHONY_REDIS8_MIRROR"
    printf '%s\n' "${POLYPHONY_REDIS8_MIRROR%/}"; return 0
  fi
  local codename='' sl='' sp='' f uri
  # shellcheck disable=SC1091
  codename="$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}")" || true
  [ -n "$codename" ] || codename=bookworm
  eval "$(apt-config shell sl Dir::Etc::sourcelist/f sp Dir::Etc::sourceparts/d 2>/dev/null)" || true
  [ -n "$sl" ] || sl=/etc/apt/sources.list
  [ -n "$sp" ] || sp=/etc/apt/sources.list.d
  sp="${sp%/}"
  local files=("$sl")
  for f in "$sp"/*.list "$sp"/*.sources; do files+=("$f"); done
  for f in "${files[@]}"; do
    [ -r "$f" ] || continue
    case "$f" in
      *.sources) uri="$(awk -v cn="$codename" "$AWK_DEB822" "$f")" ;;
      *)         uri="$(awk -v cn="$codename" "$AWK_ONELINE" "$f")" ;;
    esac
    if [ -n "$uri" ]; then log "Debian mirror from $f"; printf '%s\n' "${uri%/}"; return 0; fi
  done
  log "searched $sl, $sp/*.list and $sp/*.sources for a 'deb' entry of suite '$codename' with 'main'"
  return 1
}

# one-line format: deb [ option=value ... ] uri suite component...
AWK_ONELINE='
  /^[ \t]*#/ { next }
  $1 == "deb" {
    line = $0; sub(/#.*/, "", line); sub(/\[[^]]*\]/, " ", line)
    n = split(line, f, /[ \t]+/)
    k = 0; for (i = 1; i <= n; i++) if (f[i] != "") w[++k] = f[i]
    if (k < 4 || w[3] != cn || w[2] ~ /^cdrom:/) next
    for (i = 4; i <= k; i++) if (w[i] == "main") { print w[2]; exit }
  }'

# deb822 format: stanzas separated by blank lines, "Key: value", continuation lines indented
AWK_DEB822='
  function has(list, word,   n, a, i) {
    n = split(list, a, /[ \t]+/)
    for (i = 1; i <= n; i++) if (a[i] == word) return 1
    return 0
  }
  function flush(   n, a, i) {
    if (!done && has(types, "deb") && tolower(enabled) !~ /^(no|false|0)$/ && has(suites, cn) && has(comps, "main")) {
      n = split(uris, a, /[ \t]+/)
      for (i = 1; i <= n; i++) if (a[i] != "" && a[i] !~ /^cdrom:/) { print a[i]; done = 1; break }
    }
    types = uris = suites = comps = ""; enabled = "yes"
  }
  BEGIN { enabled = "yes" }
  /^[ \t]*#/ { next }
  /^[ \t]*$/ { flush(); next }
  /^[ \t]/   { next }
  {
    c = index($0, ":"); if (c == 0) next
    k = tolower(substr($0, 1, c - 1)); v = substr($0, c + 1); gsub(/^[ \t]+|[ \t]+$/, "", v)
    if (k == "types") types = v; else if (k == "uris") uris = v; else if (k == "suites") suites = v
    else if (k == "components") comps = v; else if (k == "enabled") enabled = v
  }
  END { flush() }'

# --- building the tree ---------------------------------------------------------------------

sq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }  # quote for sh

install_host_packages() {
  local missing=("$@")
  log "installing Debian 12 runtime libraries: ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]} (needed by the server at run time); run as root: apt-get install -y ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get update >&2 || die "apt-get update failed (machine's own apt configuration)"
    apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
      || die "could not install ${missing[*]} with apt-get"
  fi
}

build_tree() {
  local arch mirror keyring='' apt="$home/apt" opts dl stage ldso='' libdir='' d deb version line
  arch="$(dpkg --print-architecture)"
  [ "$arch" = amd64 ] || die "only amd64 is supported (this machine is $arch)"
  mirror="$(debian_mirror)" || die "no Debian mirror configured: found no 'deb <uri> <codename> main' entry \
(one-line or deb822 'URIs:') in the machine's apt sources. Configure the Debian archive in apt, \
or set POLYPHONY_REDIS8_MIRROR=<Debian archive URI>."
  log "Debian mirror: $mirror"

  # private apt configuration
  mkdir -p "$apt/etc/preferences.d" "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/state"
  [ -f "$apt/state/status" ] || : > "$apt/state/status"
  [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] && keyring=" signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
  printf 'deb [arch=%s target=Packages%s] %s %s main\n' "$arch" "$keyring" "$mirror" "$SUITE" > "$apt/etc/sources.list"
  # hooks of the machine's apt.conf.d (PackageKit, appstream, docker-clean ...) must not run
  cat > "$apt/etc/apt.conf" <<'EOF'
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
#clear DPkg::Pre-Invoke;
#clear DPkg::Post-Invoke;
EOF
  opts=(-q -c "$apt/etc/apt.conf"
    -o Dir::Etc::sourceparts=- -o "Dir::Etc::sourcelist=$apt/etc/sources.list"
    -o "Dir::Etc::preferences=$apt/etc/preferences" -o "Dir::Etc::preferencesparts=$apt/etc/preferences.d"
    -o "Dir::State=$apt/state" -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/state/status"
    -o "Dir::Cache=$apt/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    -o "APT::Architecture=$arch" -o "APT::Architectures=$arch" -o Acquire::Languages=none
    -o APT::Get::List-Cleanup=true)
  [ "$(id -u)" = 0 ] && opts+=(-o APT::Sandbox::User=root)  # private dirs are not _apt's

  log "apt-get update (private configuration, $SUITE main)"
  apt-get "${opts[@]}" --error-on=any update >&2 || die "apt-get update of '$mirror $SUITE main' failed (private apt configuration in $apt)"

  dl="$home/debs.tmp"; stage="$home/root.tmp"
  rm -rf "$dl" "$stage"; mkdir -p "$dl" "$stage"
  log "apt-get download ${PACKAGES[*]/%//$SUITE}"
  (cd "$dl" && apt-get "${opts[@]}" download "${PACKAGES[@]/%//$SUITE}" >&2) \
    || die "apt-get download from $SUITE failed"
  for d in "${PACKAGES[@]}"; do
    deb=("$dl/${d}"_*.deb)
    [ -f "${deb[0]}" ] || die "download of $d is missing"
    dpkg -x "${deb[0]}" "$stage" || die "dpkg -x ${deb[0]} failed"
  done
  version="$(dpkg-deb -f "$dl"/redis-tools_*.deb Version)"

  [ -x "$stage/usr/bin/redis-check-rdb" ] || die "redis-tools/$SUITE has no /usr/bin/redis-check-rdb"
  for d in usr/lib/x86_64-linux-gnu lib/x86_64-linux-gnu usr/lib64 lib64; do
    if [ -e "$stage/$d/ld-linux-x86-64.so.2" ]; then ldso="$d/ld-linux-x86-64.so.2"; break; fi
  done
  [ -n "$ldso" ] || die "ld-linux-x86-64.so.2 not found in libc6/$SUITE"
  for d in usr/lib/x86_64-linux-gnu lib/x86_64-linux-gnu; do
    if [ -e "$stage/$d/libc.so.6" ]; then libdir="$d"; break; fi
  done
  [ -n "$libdir" ] || die "libc.so.6 not found in libc6/$SUITE"

  rm -rf "$root"; mv "$stage" "$root"; rm -rf "$dl"

  # launchers (sh, exec so that signals and $! reach the server itself)
  write_launcher "$launcher" redis-server usr/bin/redis-check-rdb "$ldso" "$libdir" "$version"
  write_launcher "$cli" redis-cli usr/bin/redis-cli "$ldso" "$libdir" "$version"

  printf 'recipe=%s\npackage=redis-tools %s\nmirror=%s\n' "$RECIPE" "$version" "$mirror" > "$marker.tmp"
}

write_launcher() {  # path argv0 binary ldso libdir version
  local R L
  R="$(sq "$root")"; L="$(sq "$root/$5")"
  cat > "$1.tmp" <<EOF
#!/bin/sh
# Generated by scripts/redis8.sh: $2 from Debian $SUITE redis-tools $6,
# run through $SUITE's own dynamic loader (no compiling, nothing installed system-wide).
R=$R
L=$L
exec "\$R/$4" --library-path "\$L:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" --argv0 $2 "\$R/$3" "\$@"
EOF
  chmod 755 "$1.tmp"; mv -f "$1.tmp" "$1"
}

ensure() {
  local missing
  if ! tree_ready; then
    rm -f "$marker"
    build_tree
    # shellcheck disable=SC2207
    missing=($(missing_host_packages))
    [ ${#missing[@]} -eq 0 ] || install_host_packages "${missing[@]}"
    local out
    out="$("$launcher" --version 2>&1)" || die "the unpacked server does not start: $out"
    case "$out" in
      *" v=8."*) ;;
      *) die "unexpected server version: $out" ;;
    esac
    log "ready: ${out%% sha=*}"
    printf 'server=%s\n' "$out" >> "$marker.tmp"
    mv -f "$marker.tmp" "$marker"
  else
    # shellcheck disable=SC2207
    missing=($(missing_host_packages))
    [ ${#missing[@]} -eq 0 ] || install_host_packages "${missing[@]}"
  fi
}

# --- main -------------------------------------------------------------------------------------

if ! tree_ready || [ -n "$(missing_host_packages)" ]; then
  mkdir -p "$home"
  exec 9> "$home/.lock"
  if ! flock -n 9; then
    log "another run is preparing $home; waiting"
    flock -w 900 9 || die "timed out waiting for the lock $home/.lock"
  fi
  ensure
  exec 9>&-
fi

printf '%s\n' "$launcher"
[ "$check" = 1 ] || exit 0

# --- --check: start the server, talk RESP over bash's /dev/tcp --------------------------------

export LC_ALL=C  # byte lengths for RESP
fd=''

resp_send() {  # args... -> one RESP array on $fd
  local a msg="*$#"$'\r\n'
  for a in "$@"; do msg+="\$${#a}"$'\r\n'"$a"$'\r\n'; done
  printf '%s' "$msg" >&"$fd"
}

resp_read() {  # [indent] -> prints one reply redis-cli style; status 1 on an error reply
  local ind="${1:-}" line type n i data crlf rc=0
  IFS= read -r -t 10 -u "$fd" line || { echo "${ind}(no reply)"; return 1; }
  line="${line%$'\r'}"; type="${line:0:1}"; line="${line:1}"
  case "$type" in
    +) echo "${ind}${line}" ;;
    -) echo "${ind}(error) ${line}"; return 1 ;;
    :) echo "${ind}(integer) ${line}" ;;
    ,) echo "${ind}(double) ${line}" ;;
    _) echo "${ind}(nil)" ;;
    '$')
      if [ "$line" -lt 0 ]; then echo "${ind}(nil)"; return 0; fi
      data=''
      if [ "$line" -gt 0 ]; then IFS= read -r -t 10 -N "$line" -u "$fd" data; fi
      IFS= read -r -t 10 -N 2 -u "$fd" crlf
      printf '%s%s\n' "$ind" "${data//$'\r'/}" ;;
    '*'|'%'|'~')
      n="$line"; [ "$type" = '%' ] && n=$((n * 2))
      if [ "$n" -lt 0 ]; then echo "${ind}(nil)"; return 0; fi
      [ "$n" -eq 0 ] && echo "${ind}(empty array)"
      for ((i = 0; i < n; i++)); do resp_read "$ind  " || rc=1; done
      return $rc ;;
    *) echo "${ind}(unexpected) ${type}${line}"; return 1 ;;
  esac
}

cmd() { resp_send "$@" && resp_read; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/redis8-check.XXXXXX")"
pid=''
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port=''
for attempt in 1 2 3 4 5; do
  p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
  port_free "$p" || continue
  "$launcher" --port "$p" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --logfile "$tmp/redis.log" --daemonize no >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port="$p"; break; fi
    sleep 0.05
  done
  [ -n "$port" ] && break
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=''
  log "server did not come up on port $p (attempt $attempt): $(tail -n 3 "$tmp/redis.log" 2>/dev/null)"
done
[ -n "$port" ] || die "could not start the server for the check"

exec {fd}<>"/dev/tcp/127.0.0.1/$port"
ok=1
info="$(cmd INFO server)" || ok=0
version="$(printf '%s\n' "$info" | sed -n 's/^redis_version://p')"
log "check: server pid $pid on 127.0.0.1:$port, redis_version=$version"
modules="$(cmd MODULE LIST)" || ok=0
vadd="$(cmd VADD redis8sh:check VALUES 3 0.1 0.2 0.3 e1)" || ok=0
vsim="$(cmd VSIM redis8sh:check VALUES 3 0.1 0.2 0.3 WITHSCORES)" || ok=0
{
  echo "MODULE LIST:"; echo "$modules"
  echo "VADD redis8sh:check VALUES 3 0.1 0.2 0.3 e1:"; echo "$vadd"
  echo "VSIM redis8sh:check VALUES 3 0.1 0.2 0.3 WITHSCORES:"; echo "$vsim"
} | sed 's/^/redis8: check: /' >&2
vsim="$(cmd VSIM redis8sh:check VALUES 3 0.1 0.2 0.3)" || ok=0
case "$version" in 8.*) ;; *) ok=0 ;; esac
[ "$(printf '%s\n' "$vsim" | sed 's/^ *//' | head -n 1)" = e1 ] || ok=0
resp_send SHUTDOWN NOSAVE || true
exec {fd}>&-
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
wait "$pid" 2>/dev/null || true
pid=''
if [ "$ok" = 1 ]; then
  log "check: OK (Redis $version, vector sets work)"
else
  die "check FAILED (Redis '$version'); server log: $(tail -n 5 "$tmp/redis.log" 2>/dev/null)"
fi
