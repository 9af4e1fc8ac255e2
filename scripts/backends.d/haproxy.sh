# Backend module: HAProxy 2.6 (Debian), with socat (runtime API through a Shell) and wrk
# (the flip benchmark's load generator).
#
# No daemon runs here: every test and the benchmark start their own HAProxy
# (master-worker) in a temp dir on 127.0.0.1 ports 18400-18499 and stop it after. The
# packaged haproxy.service is never started (`up` installs the binaries only).

haproxy_dir() { echo "$BACKFLIP_BACKENDS_DIR/haproxy"; }

haproxy_check_binaries() {
  /usr/sbin/haproxy -v >/dev/null 2>&1 && command -v socat >/dev/null 2>&1 && command -v wrk >/dev/null 2>&1
}

haproxy_up() {
  apt_install haproxy socat wrk
  haproxy_check_binaries || { echo "    haproxy, socat or wrk is not runnable" >&2; return 1; }
  local dir version
  dir="$(haproxy_dir)"
  mkdir -p "$dir"
  # A config check proves the binary works on this machine (libraries, CPU features).
  printf 'global\n    master-worker\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n' > "$dir/probe.cfg"
  /usr/sbin/haproxy -c -q -f "$dir/probe.cfg"
  version="$(/usr/sbin/haproxy -v | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p')"
  write_env haproxy \
    "HAPROXY_BIN=/usr/sbin/haproxy" \
    "HAPROXY_VERSION=$version" \
    "SOCAT_BIN=$(command -v socat)" \
    "WRK_BIN=$(command -v wrk)" \
    "HAPROXY_PORTS=18400-18499"
  echo "    haproxy $version ready (tests start their own processes on 127.0.0.1:18400-18499)"
}

haproxy_down() {
  # Nothing runs between test runs; forget the facts so tests skip until `up` again.
  rm -f "$BACKFLIP_BACKENDS_DIR/haproxy.env"
  echo "    haproxy facts removed (packages stay installed)"
}

haproxy_status() {
  if [ -f "$BACKFLIP_BACKENDS_DIR/haproxy.env" ] && haproxy_check_binaries; then
    echo "    up: $(tr '\n' ' ' < "$BACKFLIP_BACKENDS_DIR/haproxy.env")"
  else
    echo "    down: run scripts/backends up haproxy"
    return 1
  fi
}
