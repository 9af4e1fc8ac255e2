# Backend module: a 3-member Incus cluster on this one machine, loopback only, the way
# Incus's own test suite runs one (test/includes/clustering.sh) minus network namespaces:
# one `incusd --group root` per member m1..m3, each with its own INCUS_DIR under
# $BACKFLIP_BACKENDS_DIR/incus-cluster/<member>, listening on 127.0.1.1-3:8443 (the
# single `incus` backend at /var/lib/incus and 127.0.0.1:18443 is left alone). m1 enables
# clustering, m2 and m3 join with a token (preseed); a `dir` pool `default` (per member,
# then cluster-wide) is the default profile's root disk. Members start together (a
# restarted member needs a quorum); a leftover that does not come back as 3 ONLINE
# members is stopped, wiped and formed again. Stopped by pid, leftover mounts lazily
# unmounted. Writes incus-cluster.env: INCUS_CLUSTER_MEMBERS (m1,m2,m3),
# INCUS_CLUSTER_SOCKETS (the members' unix sockets, same order), INCUS_CLUSTER_PIDFILES,
# INCUS_CLUSTER_ADDRESSES, INCUS_CLUSTER_IMAGE (busybox when the incus module built it).

INCUS_CLUSTER_MEMBERS=(m1 m2 m3)
INCUS_CLUSTER_ADDRESSES=(127.0.1.1:8443 127.0.1.2:8443 127.0.1.3:8443)

incus_cluster_dir() { echo "$BACKFLIP_BACKENDS_DIR/incus-cluster"; }

# incus_cluster_at INDEX CMD... — runs CMD with INCUS_DIR set to member INDEX's directory.
incus_cluster_at() {
  local i="$1"; shift
  env -u INCUS_SOCKET INCUS_DIR="$(incus_cluster_dir)/${INCUS_CLUSTER_MEMBERS[$i]}" "$@"
}

# incus_cluster_alive NAME — the member's pid file names a live incusd (not a reused pid).
incus_cluster_alive() {
  local pidfile
  pidfile="$(incus_cluster_dir)/$1.pid"
  pid_alive "$pidfile" && [ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" = incusd ]
}

# incus_cluster_joined — every member's incusd runs and is ready, m1 sees all 3 ONLINE, and
# every member forwards a request to every other one (a restarted member's ONLINE can be the
# stale one from before it stopped, and until a member's event connection to a restarted one
# is back, requests it forwards there get "Server isn't ready yet").
incus_cluster_joined() {
  local i name
  for i in 0 1 2; do
    incus_cluster_alive "${INCUS_CLUSTER_MEMBERS[$i]}" || return 1
    incus_cluster_at "$i" timeout 10 incus admin waitready --timeout 5 >/dev/null 2>&1 || return 1
  done
  [ "$(incus_cluster_at 0 timeout 10 incus cluster list --format csv 2>/dev/null | grep -c ',ONLINE,')" = 3 ] || return 1
  for i in 0 1 2; do
    for name in "${INCUS_CLUSTER_MEMBERS[@]}"; do
      incus_cluster_at "$i" timeout 10 incus query "/1.0?target=$name" 2>/dev/null | grep -q "\"server_name\": \"$name\"" || return 1
    done
  done
}

# incus_cluster_start_member INDEX — starts the member's incusd unless its pid file names a live one.
incus_cluster_start_member() {
  local i="$1" dir name
  dir="$(incus_cluster_dir)"; name="${INCUS_CLUSTER_MEMBERS[$i]}"
  incus_cluster_alive "$name" && return 0
  mkdir -p "$dir/$name" && chmod 711 "$dir/$name"
  INCUS_DIR="$dir/$name" setsid /usr/libexec/incus/incusd --group root --logfile "$dir/$name.log" \
    </dev/null >>"$dir/$name.out" 2>&1 &
  echo $! >"$dir/$name.pid"
}

# incus_cluster_stop_member INDEX — stops the member by its pid, then lazily unmounts what it left.
incus_cluster_stop_member() {
  local i="$1" dir name pid
  dir="$(incus_cluster_dir)"; name="${INCUS_CLUSTER_MEMBERS[$i]}"
  if incus_cluster_alive "$name"; then
    pid="$(cat "$dir/$name.pid")"
    kill "$pid" 2>/dev/null
    wait_for "incusd $name to stop" 20 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$dir/$name.pid"
  # Deepest first, so nested mounts go before their parents.
  awk -v d="$dir/$name/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  return 0
}

# incus_cluster_form — a fresh cluster: m1 bootstraps, m2 and m3 join, storage, profile, image.
incus_cluster_form() {
  local dir i token
  dir="$(incus_cluster_dir)"
  echo "    forming the cluster (logs: $dir/m*.log)"
  for i in 0 1 2; do incus_cluster_start_member "$i" || return 1; done
  for i in 0 1 2; do
    incus_cluster_at "$i" incus admin waitready --timeout 60 || { echo "    ${INCUS_CLUSTER_MEMBERS[$i]} did not become ready" >&2; return 1; }
  done
  incus_cluster_at 0 incus config set core.https_address "${INCUS_CLUSTER_ADDRESSES[0]}" || return 1
  incus_cluster_at 0 incus cluster enable "${INCUS_CLUSTER_MEMBERS[0]}" >/dev/null || return 1
  for i in 1 2; do
    token="$(incus_cluster_at 0 incus cluster add "${INCUS_CLUSTER_MEMBERS[$i]}" --quiet)" || return 1
    incus_cluster_at "$i" incus admin init --preseed >/dev/null <<PRESEED || return 1
cluster:
  enabled: true
  server_name: ${INCUS_CLUSTER_MEMBERS[$i]}
  server_address: ${INCUS_CLUSTER_ADDRESSES[$i]}
  cluster_address: ${INCUS_CLUSTER_ADDRESSES[0]}
  cluster_token: $token
PRESEED
  done
  for i in 0 1 2; do
    incus_cluster_at 0 incus storage create default dir --target "${INCUS_CLUSTER_MEMBERS[$i]}" >/dev/null || return 1
  done
  incus_cluster_at 0 incus storage create default dir >/dev/null || return 1
  incus_cluster_at 0 incus profile device add default root disk path=/ pool=default >/dev/null || return 1
  if [ -f "$BACKFLIP_BACKENDS_DIR/incus/image/busybox.tar.gz" ]; then
    incus_cluster_at 0 incus image import "$BACKFLIP_BACKENDS_DIR/incus/image/busybox.tar.gz" --alias busybox >/dev/null || return 1
  fi
}

incus_cluster_up() {
  apt_install_backports incus-base busybox-static || return 1
  local dir i
  dir="$(incus_cluster_dir)"
  mkdir -p "$dir" && chmod 711 "$dir"
  if [ -f "$dir/m1/database/global/db.bin" ] || [ -d "$dir/m1/database/global" ]; then
    for i in 0 1 2; do incus_cluster_start_member "$i" || return 1; done
    if ! wait_for "the cluster's 3 members to be ONLINE" 90 incus_cluster_joined; then
      echo "    the leftover cluster did not come back: forming it again"
      for i in 0 1 2; do incus_cluster_stop_member "$i"; done
      rm -rf "${dir:?}"/m1 "${dir:?}"/m2 "${dir:?}"/m3
    fi
  fi
  if ! incus_cluster_joined; then
    for i in 0 1 2; do incus_cluster_stop_member "$i"; done
    rm -rf "${dir:?}"/m1 "${dir:?}"/m2 "${dir:?}"/m3
    incus_cluster_form || return 1
    wait_for "the cluster's 3 members to be ONLINE" 60 incus_cluster_joined || return 1
  fi
  local sockets=() pids=() image=""
  for i in 0 1 2; do
    sockets+=("$dir/${INCUS_CLUSTER_MEMBERS[$i]}/unix.socket")
    pids+=("$dir/${INCUS_CLUSTER_MEMBERS[$i]}.pid")
  done
  incus_cluster_at 0 incus image alias list --format csv 2>/dev/null | grep -q '^busybox,' && image=busybox
  write_env incus-cluster \
    "INCUS_CLUSTER_MEMBERS=$(IFS=,; echo "${INCUS_CLUSTER_MEMBERS[*]}")" \
    "INCUS_CLUSTER_SOCKETS=$(IFS=,; echo "${sockets[*]}")" \
    "INCUS_CLUSTER_PIDFILES=$(IFS=,; echo "${pids[*]}")" \
    "INCUS_CLUSTER_ADDRESSES=$(IFS=,; echo "${INCUS_CLUSTER_ADDRESSES[*]}")" \
    "INCUS_CLUSTER_IMAGE=$image"
  echo "    incus cluster: ${INCUS_CLUSTER_MEMBERS[*]} ONLINE on ${INCUS_CLUSTER_ADDRESSES[*]}"
}

incus_cluster_down() {
  local i
  rm -f "$BACKFLIP_BACKENDS_DIR/incus-cluster.env"
  for i in 0 1 2; do incus_cluster_stop_member "$i"; done
  echo "    incus cluster stopped (member dirs kept in $(incus_cluster_dir))"
}

incus_cluster_status() {
  if [ -f "$BACKFLIP_BACKENDS_DIR/incus-cluster.env" ] && incus_cluster_joined; then
    echo "    up: $(tr '\n' ' ' <"$BACKFLIP_BACKENDS_DIR/incus-cluster.env")"
  else
    echo "    down: run scripts/backends up incus-cluster"
    return 1
  fi
}
