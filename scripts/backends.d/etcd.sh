# Backend module: a 3-member etcd 3.4 cluster (Debian etcd-server), loopback only.
#
# The packaged etcd.service is not used (its postinst is refused where no init runs;
# `up` disables it where systemd runs): the `etcd` binary runs directly, three members
# e1..e3 with their own data dirs under $BACKFLIP_BACKENDS_DIR/etcd/<member>, clients on
# 127.0.0.1:18901-18903, peers on 127.0.0.1:18911-18913. Ports 18900-18999 are this
# module's: tests that kill, stop or partition members start their own cluster in
# 18920-18999 (see packages/driver-etcd/test/support) and never touch this one.

ETCD_MEMBERS=(e1 e2 e3)
ETCD_CLIENT_PORTS=(18901 18902 18903)
ETCD_PEER_PORTS=(18911 18912 18913)
ETCD_TOKEN=backflip-etcd

etcd_dir() { echo "$BACKFLIP_BACKENDS_DIR/etcd"; }

etcd_endpoints() {
  local out=() p
  for p in "${ETCD_CLIENT_PORTS[@]}"; do out+=("http://127.0.0.1:$p"); done
  (IFS=,; echo "${out[*]}")
}

etcd_initial_cluster() {
  local out=() i
  for i in 0 1 2; do out+=("${ETCD_MEMBERS[$i]}=http://127.0.0.1:${ETCD_PEER_PORTS[$i]}"); done
  (IFS=,; echo "${out[*]}")
}

# etcd_healthy PORT — the member on PORT answers /health with a quorum.
etcd_healthy() {
  curl -fsS --max-time 2 "http://127.0.0.1:$1/health" 2>/dev/null | grep -q '"health":"true"'
}

etcd_cluster_healthy() {
  local p
  for p in "${ETCD_CLIENT_PORTS[@]}"; do etcd_healthy "$p" || return 1; done
}

# etcd_start_member INDEX — starts member INDEX unless its pid file names a live process.
etcd_start_member() {
  local i="$1" dir name state
  dir="$(etcd_dir)"; name="${ETCD_MEMBERS[$i]}"
  pid_alive "$dir/$name.pid" && return 0
  # A member whose data dir exists rejoins; an empty one joins the new cluster.
  state=new
  [ -d "$dir/$name/member" ] && state=existing
  setsid /usr/bin/etcd \
    --name "$name" \
    --data-dir "$dir/$name" \
    --listen-client-urls "http://127.0.0.1:${ETCD_CLIENT_PORTS[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${ETCD_CLIENT_PORTS[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORTS[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORTS[$i]}" \
    --initial-cluster "$(etcd_initial_cluster)" \
    --initial-cluster-token "$ETCD_TOKEN" \
    --initial-cluster-state "$state" \
    --logger zap --log-outputs "$dir/$name.log" \
    </dev/null >/dev/null 2>&1 &
  echo $! > "$dir/$name.pid"
}

etcd_up() {
  apt_install etcd-server etcd-client curl || return 1
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now etcd.service >/dev/null 2>&1 || true
  fi
  local dir i version
  dir="$(etcd_dir)"
  mkdir -p "$dir" && chmod 700 "$dir"
  for i in 0 1 2; do etcd_start_member "$i" || return 1; done
  wait_for "the etcd cluster on 127.0.0.1:18901-18903" 60 etcd_cluster_healthy || return 1
  version="$(/usr/bin/etcd --version | sed -n 's/^etcd Version: //p')"
  write_env etcd \
    "ETCD_BIN=/usr/bin/etcd" \
    "ETCDCTL_BIN=/usr/bin/etcdctl" \
    "ETCD_VERSION=$version" \
    "ETCD_ENDPOINTS=$(etcd_endpoints)" \
    "ETCD_PORTS=18900-18999"
  echo "    etcd $version: 3 members up on $(etcd_endpoints)"
}

etcd_down() {
  local dir name
  dir="$(etcd_dir)"
  rm -f "$BACKFLIP_BACKENDS_DIR/etcd.env"
  for name in "${ETCD_MEMBERS[@]}"; do
    if pid_alive "$dir/$name.pid"; then kill "$(cat "$dir/$name.pid")" 2>/dev/null || true; fi
  done
  for name in "${ETCD_MEMBERS[@]}"; do
    wait_for "etcd member $name to stop" 15 sh -c "! kill -0 \"\$(cat '$dir/$name.pid' 2>/dev/null)\" 2>/dev/null" || return 1
    rm -f "$dir/$name.pid"
  done
  echo "    etcd stopped (data dirs kept in $dir)"
}

etcd_status() {
  if [ -f "$BACKFLIP_BACKENDS_DIR/etcd.env" ] && etcd_cluster_healthy; then
    echo "    up: $(tr '\n' ' ' < "$BACKFLIP_BACKENDS_DIR/etcd.env")"
  else
    echo "    down: run scripts/backends up etcd"
    return 1
  fi
}
