# Backend module: Debian's Chromium, headless, for the browser tests (examples/service).
#
# No browser stays running: each test launches its own headless Chromium through
# playwright-core (`executablePath` = CHROMIUM_BIN) and closes it after. `up` installs the
# package and proves the binary renders a page headless on this machine. As root,
# Chromium needs --no-sandbox (the tests pass it when they run as root).

chromium_check() {
  local out
  out="$(/usr/bin/chromium --headless --no-sandbox --disable-gpu --dump-dom \
    'data:text/html,<p id=probe>backflip</p>' 2>/dev/null)" || return 1
  [[ "$out" == *'<p id="probe">backflip</p>'* ]]
}

chromium_version() {
  /usr/bin/chromium --version 2>/dev/null | awk '{print $2}'
}

chromium_up() {
  apt_install chromium fonts-liberation || return 1
  chromium_check || { echo "    chromium does not render a page headless" >&2; return 1; }
  write_env chromium "CHROMIUM_BIN=/usr/bin/chromium" "CHROMIUM_VERSION=$(chromium_version)"
  echo "    chromium $(chromium_version) ready (tests launch their own headless browser)"
}

chromium_down() {
  # Nothing runs between test runs; forget the facts so the browser tests skip until `up` again.
  rm -f "$BACKFLIP_BACKENDS_DIR/chromium.env"
  echo "    chromium facts removed (the package stays installed)"
}

chromium_status() {
  if [ -f "$BACKFLIP_BACKENDS_DIR/chromium.env" ] && [ -x /usr/bin/chromium ]; then
    echo "    up: $(tr '\n' ' ' < "$BACKFLIP_BACKENDS_DIR/chromium.env")"
  else
    echo "    down: run scripts/backends up chromium"
    return 1
  fi
}
