import { LAB_POSTGRES, labPgBin } from "./lab-postgres-settings";

const { uid, gid, dataDir, socketDir, innerPort, logFile } = LAB_POSTGRES;

/** `setpriv` (util-linux, from the host's `/usr`) dropping to the container's `postgres` user. */
const asPostgres = `/usr/bin/setpriv --reuid=${uid} --regid=${gid} --clear-groups --`;

/** The argv prefix that runs a command inside `veza-lab-postgres` as its `postgres` user. */
export const AS_POSTGRES: readonly string[] = asPostgres.split(" ");

/** `/etc/passwd` of `veza-lab-postgres`: PostgreSQL looks its effective uid up and refuses root. */
export const POSTGRES_PASSWD = `root:x:0:0:root:/root:/bin/sh\npostgres:x:${uid}:${gid}:PostgreSQL:${LAB_POSTGRES.mountPath}:/bin/sh\n`;

/** `/etc/group` of `veza-lab-postgres`. */
export const POSTGRES_GROUP = `root:x:0:\npostgres:x:${gid}:\n`;

/**
 * The script busybox init respawns: until `initdb` has run (PG_VERSION present, checked
 * as uid 101: container root has no DAC override on the FUSE mount) it only sleeps; then
 * it runs PostgreSQL in the foreground as uid 101, listening on the socket directory and
 * on 127.0.0.1:5432 inside the container.
 */
export function postgresRunScript(pgBin: string = labPgBin()): string {
  return `#!/bin/sh
# Backflip lab: PostgreSQL in the foreground as uid ${uid}, once its data directory exists.
mkdir -p ${socketDir} /var/log
chown ${uid}:${gid} ${socketDir}
touch ${logFile}
chown ${uid}:${gid} ${logFile}
${asPostgres} /bin/test -f ${dataDir}/PG_VERSION || exec /bin/sleep 2
exec ${asPostgres} ${pgBin}/postgres -D ${dataDir} -k ${socketDir} -c listen_addresses=127.0.0.1 -p ${innerPort} >>${logFile} 2>&1
`;
}

/**
 * `/etc/inittab` of `veza-lab-postgres`. At boot (sysinit, nothing else runs yet) it
 * removes a `postmaster.pid` left in the data directory — after a ZFS rollback it is the
 * one captured in the snapshot, naming a process of an earlier boot; only uid 101 can
 * touch the data directory (container root has no DAC override on the FUSE mount).
 */
export const POSTGRES_INITTAB = `::sysinit:/bin/busybox ip link set lo up
::sysinit:${asPostgres} /bin/rm -f ${dataDir}/postmaster.pid
::respawn:/bin/sh ${LAB_POSTGRES.runScript}
::respawn:/bin/sleep 100000
`;
