/**
 * The rollback CLI's Path 3 commands on `--target lab`, each run as its own process as a
 * person would: `push-artifact` after the registry lost a SHA, `inverse-sql` on the
 * lab's PostgreSQL, `restore-snapshot` of `veza-lab-postgres` (dry run, refused without
 * `--acknowledge-data-loss`, then done). These change the lab, so this file runs in the
 * root config's `lab` project (one lab file at a time) and leaves the lab reset.
 */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeLabDrivers, type LabPath3Drivers } from "../../lab/src/lab-data-drivers";
import { LAB_INVERSE_SQL, LAB_SCHEMA_VERSION, labContentCheck } from "../../lab/src/lab-migrations";
import { missingPath3Backends } from "../../lab/src/lab-postgres-settings";
import { labPsql, waitPostgresReady } from "../../lab/src/lab-postgres-shell";
import { readRegistryState } from "../../lab/src/lab-registry";
import { LAB_RELEASES, labArtifact } from "../../lab/src/lab-releases";
import { resetLab } from "../../lab/src/lab-reset";
import { upWithPath3Drivers } from "../../lab/test/lab-support";
import { runCli } from "./start-cli";

const stateDir = () => mkdtemp(join(tmpdir(), "rollback-cli-lab-path3-"));

const path3Up =
  backendEnv("incus") !== null && backendEnv("haproxy") !== null && missingPath3Backends().length === 0;

describe.skipIf(
  skipUnlessBackend(path3Up, "the lab's Path 3", "scripts/backends up incus haproxy zfs sshd postgres"),
)("rollback CLI: Path 3 commands on --target lab", { timeout: 120_000 }, () => {
  let d: LabPath3Drivers;
  const t = () => d.topology;
  const sql = async (query: string) => (await labPsql(d.host, t(), query))._unsafeUnwrap();
  const migration = async () => (await d.database.migrationState())._unsafeUnwrap();
  const contentAt = async (version: number) => {
    const check = labContentCheck(version);
    return (await sql(check.sql)) === check.expected;
  };

  beforeAll(async () => {
    d = await upWithPath3Drivers();
  }, 300_000);

  beforeEach(async () => {
    (await resetLab(d))._unsafeUnwrap();
  }, 120_000);

  afterAll(async () => {
    if (!d) return;
    (await resetLab(d))._unsafeUnwrap();
    await closeLabDrivers(d);
  }, 120_000);

  it("push-artifact uploads tarballs rebuilt for a SHA the registry lost, and verifies them", async () => {
    const sha = LAB_RELEASES.old;
    for (const component of t().containers.components)
      (await d.registry.delete({ component, sha }))._unsafeUnwrap();
    const build = await mkdtemp(join(tmpdir(), "rollback-cli-rebuild-"));
    const args: string[] = [];
    for (const component of t().containers.components) {
      const path = join(build, `veza-${component}-${sha}.tar.zst`);
      await writeFile(path, labArtifact(component, sha));
      args.push("--artifact", `${component}=${path}`);
    }
    const dir = await stateDir();
    const common = ["--target", "lab", "--release-sha", sha, ...args, "--state-dir", dir];

    const dry = await runCli("push-artifact", ...common, "--dry-run");
    expect(dry.code, dry.stderr).toBe(0);
    const owner = t().registry?.owner;
    expect(dry.stdout).toContain(
      `-X PUT ${readRegistryState()?.baseUrl.replace(/\/$/, "")}/api/packages/${owner}/generic/veza-backend/${sha}/veza-backend-${sha}.tar.zst`,
    );
    expect((await d.registry.stat({ component: "backend", sha }))._unsafeUnwrap()).toBeNull();

    const ran = await runCli("push-artifact", ...common, "--reason", "registry purged of the old release");
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0);
    for (const component of t().containers.components) {
      const info = (await d.registry.stat({ component, sha }))._unsafeUnwrap();
      expect(info?.size).toBe(labArtifact(component, sha).length);
    }
  });

  it("inverse-sql applies the inverse of migration 4 in one transaction and checks the version it leaves", async () => {
    const file = join(await stateDir(), "inverse.sql");
    await writeFile(file, LAB_INVERSE_SQL);
    const dir = await stateDir();
    const common = ["--target", "lab", "--file", file, "--expected-version", "3", "--state-dir", dir];

    const dry = await runCli("inverse-sql", ...common, "--dry-run");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("psql");
    expect(await migration()).toMatchObject({ version: LAB_SCHEMA_VERSION });

    const ran = await runCli("inverse-sql", ...common, "--reason", "migration 4 broke the prior binary");
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0);
    expect(await migration()).toEqual({ managed: true, version: 3, dirty: false });
    expect(await contentAt(3)).toBe(true);
  });

  it("restore-snapshot shows the data loss, refuses without --acknowledge-data-loss, then rolls the dataset back", async () => {
    const snapshot = `${t().snapshots.prefix}${LAB_RELEASES.current}`;
    await sql("INSERT INTO tracks (id, title, duration_ms) VALUES (200, 'written by the CLI test', 1000)");
    await sql("CHECKPOINT");
    const dir = await stateDir();
    const common = ["--target", "lab", "--container", t().database.container, "--snapshot", snapshot];

    const dry = await runCli("restore-snapshot", ...common, "--state-dir", dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("DATA LOSS");
    expect(dry.stdout).toContain(`zfs rollback -r rpool/incus/containers/veza-lab-postgres@${snapshot}`);

    const unacknowledged = await runCli(
      "restore-snapshot",
      ...common,
      "--yes",
      "--reason",
      "the Incus host is in a bad state",
      "--state-dir",
      dir,
    );
    expect(unacknowledged.code).toBe(2);
    expect(unacknowledged.stderr + unacknowledged.stdout).toContain("--acknowledge-data-loss");
    expect(await sql("SELECT count(*) FROM tracks WHERE id = 200")).toBe("1");

    const ran = await runCli(
      "restore-snapshot",
      ...common,
      "--yes",
      "--acknowledge-data-loss",
      "--reason",
      "the Incus host is in a bad state",
      "--state-dir",
      dir,
    );
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(0);
    (await waitPostgresReady(d.host, t()))._unsafeUnwrap();
    expect(await migration()).toEqual({ managed: true, version: 3, dirty: false });
    expect(await contentAt(3)).toBe(true);
    expect(await sql("SELECT count(*) FROM tracks WHERE id = 200")).toBe("0");
    // The run is journaled under the CLI's state directory, its destructive step included.
    const journal = join(dir, "journal");
    const runs = (await readdir(journal)).filter((f) => f.endsWith(".jsonl"));
    expect(runs).toHaveLength(1);
    expect(await readFile(join(journal, runs[0] ?? ""), "utf8")).toContain('"stepId":"zfs-rollback"');
  });
});
