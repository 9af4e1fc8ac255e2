/**
 * Path 3 ("Incus host broken — rollback ZFS snapshot") end to end on real backends: a
 * zfs-fuse dataset holds a PostgreSQL 15 data directory; it is snapshotted as
 * `pre-deploy-<sha>`, rows are written after it, and core's `restoreSnapshot` recipe —
 * run by `runPlan`, with the ZFS driver over SSH to localhost — stops PostgreSQL, rolls
 * the dataset back and starts it again. The rows written after the snapshot are gone.
 *
 * The "container" is this PostgreSQL cluster: the ContainerHost below is TEST-ONLY and
 * implements just what the recipe uses (state/stop/start) with `pg_ctl` through the
 * same SSH shell. Everything else in it answers `unsupported`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ContainerHost,
  type DataLossReport,
  type DriverError,
  driverError,
  type InstanceInfo,
  LocalShell,
  MemoryJournal,
  MemoryLeaseLock,
  type RunEvent,
  runPlan,
  type Shell,
} from "@backflip/core";
import { restoreSnapshot, vezaTopology } from "@backflip/core/recipes";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { SshShell } from "@backflip/driver-ssh";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZfsSnapshotStore } from "../src/zfs-snapshot-store";
import { destroyDataset } from "./destroy-dataset";

const zfs = backendEnv("zfs");
const sshd = backendEnv("sshd");
const pgEnv = backendEnv("postgres");
const PG_BIN = pgEnv?.PG_BIN ?? "/usr/lib/postgresql/15/bin";
const skip = skipUnlessBackend(
  zfs !== null && sshd !== null && pgEnv !== null,
  "zfs+sshd+postgres",
  "scripts/backends up zfs sshd postgres",
);

const local = new LocalShell();
const unsupported = (op: string): DriverError =>
  driverError({
    driver: "test-pg-host",
    op,
    reason: "unsupported",
    message: `${op} is not part of this test host`,
  });

/**
 * TEST-ONLY ContainerHost: one "container" = one PostgreSQL cluster, driven over `shell`.
 * Running means `pg_isready` answers on the cluster's socket (a `postmaster.pid` restored
 * from the snapshot names a dead — or, after pid reuse, a foreign — process, so pg_ctl
 * status is not trusted). Starting a stopped cluster removes that stale pid file first,
 * as a container restart's fresh pid namespace would make it harmless.
 */
function pgCtlHost(shell: Shell, container: string, dataDir: string, socketDir: string): ContainerHost {
  const asPostgres = (argv: string[]) =>
    shell.run(["runuser", "-u", "postgres", "--", ...argv], { timeoutMs: 60_000 });
  const pgCtl = (args: string[]) => asPostgres([`${PG_BIN}/pg_ctl`, "-D", dataDir, ...args]);
  const state = (name: string): ResultAsync<InstanceInfo, DriverError> =>
    name !== container
      ? errAsync(
          driverError({ driver: "test-pg-host", op: "state", reason: "not_found", message: `no ${name}` }),
        )
      : asPostgres([`${PG_BIN}/pg_isready`, "-q", "-h", socketDir]).map((r) =>
          r.exitCode === 0
            ? { name, status: "Running", statusCode: 103, running: true }
            : { name, status: "Stopped", statusCode: 102, running: false },
        );
  const checked = (op: string) => (r: { exitCode: number | null; stderr: string }) =>
    r.exitCode === 0
      ? okAsync(undefined)
      : errAsync(driverError({ driver: "test-pg-host", op, reason: "failed", message: r.stderr }));
  return {
    name: "test-pg-host",
    state,
    list: () => state(container).map((i) => [i]),
    start: (name) =>
      state(name).andThen((i) =>
        i.running
          ? okAsync(undefined)
          : asPostgres(["rm", "-f", `${dataDir}/postmaster.pid`])
              .andThen(() =>
                pgCtl([
                  "-l",
                  `${socketDir}/log`,
                  "-w",
                  "-t",
                  "60",
                  "-o",
                  `-k ${socketDir} -c listen_addresses=''`,
                  "start",
                ]),
              )
              .andThen(checked("start")),
      ),
    stop: (name) =>
      state(name).andThen((i) =>
        i.running ? pgCtl(["-m", "fast", "-w", "stop"]).andThen(checked("stop")) : okAsync(undefined),
      ),
    delete: () => errAsync(unsupported("delete")),
    shell: () => shell,
    pushFile: () => errAsync(unsupported("pushFile")),
    pullFile: () => errAsync(unsupported("pullFile")),
    createSnapshot: () => errAsync(unsupported("createSnapshot")),
    listSnapshots: () => errAsync(unsupported("listSnapshots")),
    restoreSnapshot: () => errAsync(unsupported("restoreSnapshot")),
    deleteSnapshot: () => errAsync(unsupported("deleteSnapshot")),
  };
}

describe.skipIf(skip)("Path 3: restore a PostgreSQL dataset to its pre-deploy snapshot over SSH", () => {
  const hex = randomBytes(4).toString("hex");
  const container = `bfpath3-${hex}`;
  const pool = zfs?.ZFS_POOL ?? "bftest";
  const dataset = `${pool}/${container}`;
  const mount = join(zfs?.ZFS_MOUNT ?? "/nonexistent", container);
  const dataDir = join(mount, "data");
  const sha = randomBytes(20).toString("hex");
  let socketDir = "";
  let ssh: SshShell;
  /** Runs SQL on the cluster and returns its `-At` output; fails the test with psql's stderr otherwise. */
  const psql = async (sql: string): Promise<string> => {
    const r = (
      await local.run([
        "runuser",
        "-u",
        "postgres",
        "--",
        `${PG_BIN}/psql`,
        "-X",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        socketDir,
        "-d",
        "postgres",
        "-c",
        sql,
      ])
    )._unsafeUnwrap();
    if (r.exitCode !== 0) {
      const log = await readFile(join(socketDir, "log"), "utf8").catch(() => "(no server log)");
      expect.fail(`psql failed: ${r.stderr}\nserver log:\n${log.slice(-3000)}`);
    }
    return r.stdout.trim();
  };

  beforeAll(async () => {
    socketDir = await mkdtemp(join(tmpdir(), "bf-path3-"));
    (await local.run(["chown", "postgres", socketDir]))._unsafeUnwrap();
    (await local.run(["zfs", "create", dataset]))._unsafeUnwrap();
    (await local.run(["chown", "postgres", mount]))._unsafeUnwrap();
    const init = await local.run(
      ["runuser", "-u", "postgres", "--", `${PG_BIN}/initdb`, "-D", dataDir, "-A", "trust", "-U", "postgres"],
      { timeoutMs: 120_000 },
    );
    expect(init._unsafeUnwrap().exitCode).toBe(0);
    ssh = SshShell.create({
      host: sshd?.SSH_HOST ?? "",
      port: Number(sshd?.SSH_PORT),
      username: sshd?.SSH_ROOT_USER ?? "root",
      privateKeyPath: sshd?.SSH_KEY ?? "",
      hostKey: { knownHostsFile: sshd?.SSH_KNOWN_HOSTS ?? "" },
    })._unsafeUnwrap();
  }, 180_000);

  afterAll(async () => {
    await local.run([
      "runuser",
      "-u",
      "postgres",
      "--",
      `${PG_BIN}/pg_ctl`,
      "-D",
      dataDir,
      "-m",
      "immediate",
      "stop",
    ]);
    await destroyDataset(dataset);
    await ssh?.close();
    if (socketDir) await rm(socketDir, { recursive: true, force: true });
  });

  it("loses exactly the rows written after pre-deploy-<sha>, and reports that loss first", {
    timeout: 180_000,
  }, async () => {
    const host = pgCtlHost(ssh, container, dataDir, socketDir);
    (await host.start(container))._unsafeUnwrap();
    await psql("CREATE TABLE tracks (id int primary key, note text)");
    await psql("INSERT INTO tracks VALUES (1, 'before'), (2, 'before')");
    await psql("CHECKPOINT");

    const snapshots = ZfsSnapshotStore.create({ shell: ssh })._unsafeUnwrap();
    const snap = (await snapshots.create(dataset, `pre-deploy-${sha}`))._unsafeUnwrap();
    await psql("INSERT INTO tracks VALUES (3, 'after'), (4, 'after')");
    await psql("CHECKPOINT");
    expect(await psql("SELECT count(*) FROM tracks")).toBe("4");

    const topology = vezaTopology("lab", {
      database: { container, name: "postgres", user: "postgres" },
      snapshots: { datasetPattern: `${pool}/{container}`, prefix: "pre-deploy-" },
    });
    const drivers = { host, snapshots }; // exactly what restoreSnapshot declares
    const plan = (
      await restoreSnapshot(topology, drivers, { actor: "oncall", reason: "path 3 integration test", sha })
    )._unsafeUnwrap();
    expect(plan.describe().steps.map((s) => s.id)).toEqual([
      "data-loss-report",
      "stop-container",
      "zfs-rollback",
      "start-container",
      "container-running",
    ]);

    // Without acknowledgement the runner refuses and nothing changes.
    const refused = await runPlan(plan, { journal: new MemoryJournal(), lock: new MemoryLeaseLock() });
    expect(refused.isErr()).toBe(true);
    expect((await host.state(container))._unsafeUnwrap().running).toBe(true);

    const events: RunEvent[] = [];
    const report = (
      await runPlan(plan, {
        journal: new MemoryJournal(),
        lock: new MemoryLeaseLock(),
        acknowledgeDataLoss: true,
        onEvent: (e) => events.push(e),
      })
    )._unsafeUnwrap();
    expect(report.state).toBe("succeeded");

    // The data-loss report came first and named the snapshot and its time.
    const loss = report.steps.find((s) => s.id === "data-loss-report")?.output as DataLossReport;
    expect(loss.target).toEqual(snap);
    expect(loss.sinceMs).toBeGreaterThanOrEqual(0);
    expect(loss.bytesWritten).toBeNull(); // zfs-fuse cannot tell
    const logged = events.flatMap((e) => (e.type === "step.log" ? [e.message] : []));
    expect(logged.some((m) => m.includes(`${dataset}`) && m.includes(snap.createdAt))).toBe(true);

    // PostgreSQL is back, and only the rows from before the snapshot remain.
    expect((await host.state(container))._unsafeUnwrap().running).toBe(true);
    expect((await psql("SELECT id, note FROM tracks ORDER BY id")).split("\n")).toEqual([
      "1|before",
      "2|before",
    ]);
    expect((await snapshots.list(dataset))._unsafeUnwrap().map((s) => s.name)).toEqual([`pre-deploy-${sha}`]);
  });
});
