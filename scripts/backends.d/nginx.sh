# Backend module: nginx 1.22 (Debian), with curl (the driver asks nginx's status location
# for the live revision through a Shell) and wrk (the flip benchmark's load generator).
#
# No daemon runs here: every test and the benchmark start their own nginx (own prefix,
# config and pid file in a temp dir) on 127.0.0.1 ports 18700-18799 and stop it after.
# The packaged nginx.service must not hold port 80: `up` stops it if the package's
# postinst started it, and disables it where systemd runs.

nginx_dir() { echo "$BACKFLIP_BACKENDS_DIR/nginx"; }

nginx_check_binaries() {
  /usr/sbin/nginx -v >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 && command -v wrk >/dev/null 2>&1
}

# Stops the system nginx (the one started with /etc/nginx/nginx.conf) if it runs.
nginx_stop_system_service() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now nginx.service >/dev/null 2>&1 || true
  fi
  if pid_alive /run/nginx.pid; then
    /usr/sbin/nginx -s quit >/dev/null 2>&1 || kill "$(cat /run/nginx.pid)" 2>/dev/null || true
    wait_for "the system nginx to stop" 10 sh -c '! kill -0 "$(cat /run/nginx.pid 2>/dev/null)" 2>/dev/null' || return 1
    echo "    stopped the system nginx service"
  fi
}

nginx_up() {
  apt_install nginx curl wrk || return 1
  nginx_stop_system_service || return 1
  nginx_check_binaries || { echo "    nginx, curl or wrk is not runnable" >&2; return 1; }
  local dir version
  dir="$(nginx_dir)"
  mkdir -p "$dir"
  # A config check proves the binary works on this machine (libraries, modules).
  printf 'pid %s/probe.pid;\nerror_log stderr;\nevents {}\nhttp { access_log off; }\n' "$dir" > "$dir/probe.conf"
  /usr/sbin/nginx -q -t -p "$dir" -c "$dir/probe.conf" || return 1
  version="$(/usr/sbin/nginx -v 2>&1 | sed -n 's|^nginx version: nginx/\([^ ]*\).*|\1|p')"
  write_env nginx \
    "NGINX_BIN=/usr/sbin/nginx" \
    "NGINX_VERSION=$version" \
    "CURL_BIN=$(command -v curl)" \
    "WRK_BIN=$(command -v wrk)" \
    "NGINX_PORTS=18700-18799"
  echo "    nginx $version ready (tests start their own processes on 127.0.0.1:18700-18799)"
}

nginx_down() {
  # Nothing runs between test runs; forget the facts so tests skip until `up` again.
  rm -f "$BACKFLIP_BACKENDS_DIR/nginx.env"
  echo "    nginx facts removed (packages stay installed)"
}

nginx_status() {
  if [ -f "$BACKFLIP_BACKENDS_DIR/nginx.env" ] && nginx_check_binaries; then
    echo "    up: $(tr '\n' ' ' < "$BACKFLIP_BACKENDS_DIR/nginx.env")"
  else
    echo "    down: run scripts/backends up nginx"
    return 1
  fi
}
