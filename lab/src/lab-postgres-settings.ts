import { join } from "node:path";
import { backendEnv } from "@backflip/core/testing";
import { labStateDir } from "./lab-settings";

/**
 * Where PostgreSQL lives in `veza-lab-postgres`: uid/gid 101/104 inside the container
 * (PostgreSQL refuses to run as root), its data directory on the ZFS dataset mounted at
 * `/var/lib/postgresql`, the socket in `/run/postgresql`, and 127.0.0.1:5432 inside joined
 * to the host's 127.0.0.1:18640 by a proxy device.
 */
export const LAB_POSTGRES = {
  /** The host loopback port of the proxy device (the lab's Path 3 ports are 18640–18649). */
  port: 18640,
  /** PostgreSQL's port inside the container, on 127.0.0.1 there. */
  innerPort: 5432,
  /** The `postgres` user inside the container. */
  uid: 101,
  /** The `postgres` group inside the container. */
  gid: 104,
  /** Where the dataset is attached inside the container (an Incus disk device). */
  mountPath: "/var/lib/postgresql",
  /** PGDATA: a directory on the dataset (initdb wants an empty directory it owns). */
  dataDir: "/var/lib/postgresql/data",
  /** The unix socket directory. */
  socketDir: "/run/postgresql",
  /** The script busybox init respawns: PostgreSQL in the foreground as uid 101. */
  runScript: "/opt/veza/postgres.sh",
  /** PostgreSQL's log inside the container (on the container's own root, not the dataset). */
  logFile: "/var/log/postgresql.log",
} as const;

/** The lab's ZFS pool: file-backed under the lab state dir (never the backends' test pool `bftest`). */
export const LAB_POOL = "rpool";

/** The directory holding the pool's backing file and mountpoint: `<lab state dir>/zfs`. */
export function labPoolDir(): string {
  return join(labStateDir(), "zfs");
}

/** The pool's backing file (sparse, 512 MiB). */
export function labPoolFile(): string {
  return join(labPoolDir(), `${LAB_POOL}.img`);
}

/** Where the pool's root dataset is mounted; its datasets below it. */
export function labPoolMount(): string {
  return join(labPoolDir(), "mnt");
}

/** The host's PostgreSQL binaries (seen at the same path in the container through the read-only `/usr`). */
export function labPgBin(): string {
  return backendEnv("postgres")?.PG_BIN ?? "/usr/lib/postgresql/15/bin";
}

/**
 * Which backends `veza-lab-postgres` needs beyond Incus: zfs-fuse (`scripts/backends up
 * zfs`), the loopback OpenSSH server the host commands go through (`sshd`), and the
 * PostgreSQL binaries (`postgres`). The names of those not brought up; empty when all are.
 */
export function missingPath3Backends(): string[] {
  return ["zfs", "sshd", "postgres"].filter((name) => backendEnv(name) === null);
}
