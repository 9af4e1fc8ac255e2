# Shared helpers for backend modules. Sourced by scripts/backends.
# Modules run inside `if !` in scripts/backends, so `set -e` does not apply within
# them: check each command that matters (`cmd || return 1`).

# apt_install PKG... — installs missing Debian packages (runs `apt-get update` once per call).
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "    installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# apt_install_backports PKG... — same, from bookworm-backports (enabled on first use).
apt_install_backports() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ ! -f /etc/apt/sources.list.d/backports.sources ]; then
    cat > /etc/apt/sources.list.d/backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  echo "    installing ${missing[*]} (bookworm-backports)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports "${missing[@]}" >/dev/null
}

# write_env NAME KEY=VALUE... — the facts tests read through backendEnv(NAME).
write_env() {
  local name="$1"; shift
  local file="$BACKFLIP_BACKENDS_DIR/$name.env"
  printf '%s\n' "$@" > "$file.tmp" && mv "$file.tmp" "$file"
}

# pid_alive PIDFILE — true when the pid in PIDFILE is a live process.
pid_alive() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# wait_for DESCRIPTION SECONDS CMD... — polls CMD every 0.2 s until it succeeds.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then echo "    timed out waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}
