# Backend module: real ZFS in user space (zfs-fuse) with a file-backed test pool.
#
# The pool is `bftest` (never the lab's `rpool`), backed by a sparse file under
# $BACKFLIP_BACKENDS_DIR/zfs and mounted there. zfs-fuse is one daemon per machine:
# a running one (e.g. the lab's) is reused; otherwise this module starts it. After a
# restart the pool is imported again from its file; tests create and destroy their
# own child datasets under it.

ZFS_POOL=bftest

zfs_dir() { echo "$BACKFLIP_BACKENDS_DIR/zfs"; }

zfs_daemon_ready() { zpool list >/dev/null 2>&1; }

# zfs_drop_stale_mounts DIR — a zfs-fuse that died leaves its FUSE mounts behind
# ("Transport endpoint is not connected"); unmount those so the pool mounts again.
zfs_drop_stale_mounts() {
  awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do ls -a "$m" >/dev/null 2>&1 || umount -l "$m" || true; done
}

# zfs_stop_daemon PIDFILE — stops our zfs-fuse and waits until it has exited.
zfs_stop_daemon() {
  pid_alive "$1" || { rm -f "$1"; return 0; }
  kill "$(cat "$1")" 2>/dev/null || true
  local gone=1
  wait_for "zfs-fuse to exit" 30 sh -c "! kill -0 $(cat "$1") 2>/dev/null" || gone=0
  [ "$gone" = 1 ] && rm -f "$1"
}

zfs_up() {
  apt_install zfs-fuse
  local dir; dir="$(zfs_dir)"
  mkdir -p "$dir"
  zfs_drop_stale_mounts "$dir/mnt"
  mkdir -p "$dir/mnt"
  if zfs_daemon_ready; then
    echo "    zfs-fuse already running"
  else
    zfs_stop_daemon "$dir/zfs-fuse.pid" || return 1
    zfs_drop_stale_mounts "$dir/mnt"
    zfs-fuse --pidfile "$dir/zfs-fuse.pid" || return 1
    wait_for "the zfs-fuse daemon" 30 zfs_daemon_ready || return 1
  fi
  if ! zpool list -H -o name "$ZFS_POOL" >/dev/null 2>&1; then
    if [ -f "$dir/pool.img" ]; then
      zpool import -d "$dir" "$ZFS_POOL" || {
        echo "    cannot import $ZFS_POOL from $dir/pool.img: remove that file to start afresh" >&2
        return 1
      }
      echo "    imported pool $ZFS_POOL"
    else
      truncate -s 768M "$dir/pool.img"
      zpool create -m "$dir/mnt" "$ZFS_POOL" "$dir/pool.img" || return 1
      echo "    created pool $ZFS_POOL"
    fi
  fi
  zfs_drop_stale_mounts "$dir/mnt"
  zfs list -H -o name,mounted -r "$ZFS_POOL" | awk '$2 == "no" { print $1 }' | xargs -r -n1 zfs mount
  ls -a "$dir/mnt" >/dev/null || return 1
  write_env zfs \
    "ZFS_POOL=$ZFS_POOL" \
    "ZFS_MOUNT=$dir/mnt" \
    "ZFS_FLAVOR=zfs-fuse" \
    "ZFS_BIN=$(command -v zfs)"
}

zfs_down() {
  local dir; dir="$(zfs_dir)"
  if zpool list -H -o name "$ZFS_POOL" >/dev/null 2>&1; then zpool export "$ZFS_POOL" || true; fi
  zfs_stop_daemon "$dir/zfs-fuse.pid"
}

zfs_status() {
  if zfs_daemon_ready && zpool list -H -o name "$ZFS_POOL" >/dev/null 2>&1; then
    echo "    up: pool $ZFS_POOL ($(zpool list -H -o health "$ZFS_POOL")) mounted at $(zfs_dir)/mnt"
  else
    echo "    down"; return 1
  fi
}
