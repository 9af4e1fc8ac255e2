# Prometheus 2.42 from Debian. Tests start their own short-lived Prometheus on 127.0.0.1
# (fast scrape and rule evaluation, a temp TSDB), so `up` only installs it and checks
# that the binaries run; nothing stays running.

prometheus_up() {
  apt_install prometheus
  /usr/bin/prometheus --version >/dev/null 2>&1 || { echo "    prometheus does not run" >&2; return 1; }
  /usr/bin/promtool --version >/dev/null 2>&1 || { echo "    promtool does not run" >&2; return 1; }
  write_env prometheus PROMETHEUS_BIN=/usr/bin/prometheus PROMTOOL_BIN=/usr/bin/promtool
  echo "    prometheus $(/usr/bin/prometheus --version 2>&1 | head -1 | awk '{print $3}') ready (tests start their own instance)"
}

prometheus_down() {
  # Nothing is left running by `up`; tests stop the instances they start.
  return 0
}

prometheus_status() {
  if [ -x /usr/bin/prometheus ] && [ -f "$BACKFLIP_BACKENDS_DIR/prometheus.env" ]; then
    echo "    prometheus: installed ($(/usr/bin/prometheus --version 2>&1 | head -1 | awk '{print $3}'))"
  else
    echo "    prometheus: not installed — run scripts/backends up prometheus"
    return 1
  fi
}
