/**
 * A Backflip {@link @backflip/core!SnapshotStore} for ZFS (OpenZFS 2.x and zfs-fuse) over any Shell:
 * list, find the pre-deploy snapshot, create, destroy, and `rollback -r` that first
 * reports what it would lose.
 * @module \@backflip/driver-zfs
 * @document ../README.md
 */

export type { ZfsSnapshotStoreOptions } from "./zfs-snapshot-store";
export { createZfsSnapshotStore, ZfsSnapshotStore } from "./zfs-snapshot-store";
export { parseSnapshots } from "./parse-snapshots";
