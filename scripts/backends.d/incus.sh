# Incus 6.0 (containers only), loopback only: incusd on its unix socket, a `dir` storage
# pool named `default`, a root disk in the default profile, and a `busybox` image built
# locally (no image server is reachable). No bridge, no network for containers.
# The HTTPS API listens on 127.0.0.1:18443 (loopback only) for the remote-transport tests.
# Writes incus.env: INCUS_SOCKET, INCUS_IMAGE, INCUS_HTTPS_URL, INCUS_SERVER_CERT.

INCUS_STATE_DIR="$BACKFLIP_BACKENDS_DIR/incus"
INCUS_SOCKET_PATH="${INCUS_DIR:-/var/lib/incus}/unix.socket"
INCUS_HTTPS_ADDRESS="127.0.0.1:18443"

# incus_responding — true when incusd answers on its socket.
incus_responding() {
  [ -S "$INCUS_SOCKET_PATH" ] && timeout 5 incus query /1.0 >/dev/null 2>&1
}

# incus_build_image DIR — writes DIR/busybox.tar.gz: metadata.yaml + a busybox rootfs whose
# init brings `lo` up and keeps a process alive.
incus_build_image() {
  local dir="$1" root="$1/rootfs"
  rm -rf "$dir" && mkdir -p "$root"/{bin,sbin,etc,tmp,root,proc,sys,dev,run,var/tmp,usr/bin,usr/sbin}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp /usr/bin/busybox "$root/bin/busybox"
  local applet
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  ln -sf ../bin/busybox "$root/sbin/init"
  cat >"$root/etc/inittab" <<'INITTAB'
::sysinit:/bin/busybox ip link set lo up
::respawn:/bin/sleep 100000
INITTAB
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  cat >"$dir/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: busybox (backflip test image)
  os: busybox
META
  tar -C "$dir" -czf "$dir/busybox.tar.gz" metadata.yaml rootfs
}

incus_up() {
  apt_install_backports incus-base busybox-static
  mkdir -p "$INCUS_STATE_DIR"
  if ! incus_responding; then
    echo "    starting incusd (log: $INCUS_STATE_DIR/incusd.log)"
    # A socket left by a dead incusd is removed by incusd itself on start.
    setsid /usr/libexec/incus/incusd --group root --logfile "$INCUS_STATE_DIR/incusd.log" \
      </dev/null >>"$INCUS_STATE_DIR/incusd.out" 2>&1 &
    echo $! >"$INCUS_STATE_DIR/incusd.pid"
  fi
  incus admin waitready --timeout 60 || { echo "    incusd did not become ready" >&2; return 1; }
  if ! incus storage show default >/dev/null 2>&1; then
    echo "    creating storage pool default (dir)"
    incus storage create default dir >/dev/null || return 1
  fi
  if ! incus profile device get default root pool >/dev/null 2>&1; then
    echo "    adding the root disk to the default profile"
    incus profile device add default root disk path=/ pool=default >/dev/null || return 1
  fi
  if ! incus image alias list --format csv | grep -q '^busybox,'; then
    echo "    building and importing the busybox image"
    incus_build_image "$INCUS_STATE_DIR/image" || return 1
    incus image import "$INCUS_STATE_DIR/image/busybox.tar.gz" --alias busybox >/dev/null || return 1
  fi
  if [ "$(incus config get core.https_address)" != "$INCUS_HTTPS_ADDRESS" ]; then
    echo "    listening for HTTPS on $INCUS_HTTPS_ADDRESS"
    incus config set core.https_address "$INCUS_HTTPS_ADDRESS" || return 1
  fi
  write_env incus "INCUS_SOCKET=$INCUS_SOCKET_PATH" "INCUS_IMAGE=busybox" \
    "INCUS_HTTPS_URL=https://$INCUS_HTTPS_ADDRESS" "INCUS_SERVER_CERT=${INCUS_DIR:-/var/lib/incus}/server.crt"
}

incus_down() {
  # Stops only the incusd this module started; containers stay defined.
  if pid_alive "$INCUS_STATE_DIR/incusd.pid"; then
    incus admin shutdown --timeout 30 >/dev/null 2>&1 || kill "$(cat "$INCUS_STATE_DIR/incusd.pid")"
    wait_for "incusd to stop" 30 bash -c "! kill -0 $(cat "$INCUS_STATE_DIR/incusd.pid")"
  fi
  rm -f "$INCUS_STATE_DIR/incusd.pid"
}

incus_status() {
  if incus_responding; then
    echo "    incus: up (socket $INCUS_SOCKET_PATH, server $(incus version 2>/dev/null | sed -n 's/^Server version: //p'))"
  else
    echo "    incus: down"
    return 1
  fi
}
