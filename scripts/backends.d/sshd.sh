# Backend module: a loopback OpenSSH server of its own on 127.0.0.1:2222.
#
# Everything lives under $BACKFLIP_BACKENDS_DIR/sshd: its own sshd_config, host key,
# pid file, a throwaway client key pair and an authorized_keys file only this server
# reads. The system's sshd (if any) and /etc/ssh are left alone. Tests verify the
# host key from sshd.env (known_hosts file or SHA256 fingerprint), never accept-all.
#
# Logins: `bfssh`, an unprivileged user whose shell is /bin/sh (no rc files, so a
# command costs what the transport costs), and root with the same key for tests that
# run zfs or pg_ctl over SSH.

SSHD_PORT=2222
SSHD_USER=bfssh

sshd_dir() { echo "$BACKFLIP_BACKENDS_DIR/sshd"; }

sshd_listening() {
  ssh-keyscan -T 2 -p "$SSHD_PORT" -t ed25519 127.0.0.1 2>/dev/null | grep -q ssh-ed25519
}

sshd_up() {
  apt_install openssh-server openssh-client
  local dir; dir="$(sshd_dir)"
  mkdir -p "$dir" /run/sshd
  chmod 711 "$dir"
  if ! id -u "$SSHD_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir "$dir/home" --shell /bin/sh "$SSHD_USER" || return 1
  fi
  # "*" (no password) rather than useradd's "!" (locked): sshd refuses locked accounts without PAM.
  usermod -p '*' "$SSHD_USER"
  install -d -o "$SSHD_USER" -m 755 "$dir/home"
  [ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C backflip-test-host -f "$dir/ssh_host_ed25519_key"
  [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C backflip-test-client -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys" "$dir/id_ed25519" "$dir/ssh_host_ed25519_key"
  cat > "$dir/sshd_config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
AllowTcpForwarding yes
MaxSessions 64
MaxStartups 100:30:200
ClientAliveInterval 0
LogLevel ERROR
Subsystem sftp internal-sftp
CFG
  chmod 644 "$dir/authorized_keys"
  /usr/sbin/sshd -t -f "$dir/sshd_config" || return 1
  if pid_alive "$dir/sshd.pid" && sshd_listening; then
    # Re-read the config written above (sshd re-executes itself on HUP).
    kill -HUP "$(cat "$dir/sshd.pid")"
    wait_for "sshd on 127.0.0.1:$SSHD_PORT" 15 sshd_listening || return 1
    echo "    sshd already running (pid $(cat "$dir/sshd.pid"))"
  else
    if pid_alive "$dir/sshd.pid"; then kill "$(cat "$dir/sshd.pid")" 2>/dev/null || true; sleep 0.3; fi
    rm -f "$dir/sshd.pid"
    /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" || return 1
    wait_for "sshd on 127.0.0.1:$SSHD_PORT" 15 sshd_listening || return 1
  fi
  local pub fp
  pub="$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")"
  fp="$(ssh-keygen -l -E sha256 -f "$dir/ssh_host_ed25519_key.pub" | cut -d' ' -f2)"
  echo "[127.0.0.1]:$SSHD_PORT $pub" > "$dir/known_hosts"
  write_env sshd \
    "SSH_HOST=127.0.0.1" \
    "SSH_PORT=$SSHD_PORT" \
    "SSH_USER=$SSHD_USER" \
    "SSH_ROOT_USER=root" \
    "SSH_KEY=$dir/id_ed25519" \
    "SSH_KNOWN_HOSTS=$dir/known_hosts" \
    "SSH_HOST_KEY_PUB=$pub" \
    "SSH_HOST_FINGERPRINT=$fp"
}

sshd_down() {
  local dir; dir="$(sshd_dir)"
  if pid_alive "$dir/sshd.pid"; then kill "$(cat "$dir/sshd.pid")"; fi
  rm -f "$dir/sshd.pid"
}

sshd_status() {
  local dir; dir="$(sshd_dir)"
  if pid_alive "$dir/sshd.pid" && sshd_listening; then
    echo "    up: 127.0.0.1:$SSHD_PORT (pid $(cat "$dir/sshd.pid"))"
  else
    echo "    down"; return 1
  fi
}
