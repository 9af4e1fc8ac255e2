/**
 * The runbook's Path 3 ("manual emergency") on the lab, each step through Backflip's own
 * recipes and drivers: the registry purged of a SHA → `rebuildAndPush` then the native
 * redeploy; a poisoned schema → `applyInverseSql` with psql inside `veza-lab-postgres`;
 * the host broken → `restoreSnapshot`: Incus stop, `zfs rollback -r` and start, all over SSH.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DataLossReport, datasetName, MemoryJournal, MemoryLeaseLock, runPlan } from "@backflip/core";
import {
  applyInverseSql,
  planRestoreSnapshot,
  rebuildAndPush,
  redeploy,
  restoreSnapshot,
} from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeLabDrivers, type LabPath3Drivers } from "../src/lab-data-drivers";
import {
  LAB_INVERSE_SQL,
  LAB_SCHEMA_VERSION,
  labContentCheck,
  PRE_DEPLOY_VERSIONS,
} from "../src/lab-migrations";
import { missingPath3Backends } from "../src/lab-postgres-settings";
import { labPsql, waitPostgresReady } from "../src/lab-postgres-shell";
import { LAB_RELEASES, labArtifact } from "../src/lab-releases";
import { resetLab } from "../src/lab-reset";
import { LAB_APP, labApps } from "../src/lab-settings";
import {
  ensureLabContainers,
  type LabRun,
  labBackendsUp,
  planned,
  runOnLab,
  scratchDir,
  upWithPath3Drivers,
} from "./lab-support";

const skip = skipUnlessBackend(
  labBackendsUp && missingPath3Backends().length === 0,
  "incus + haproxy + zfs + sshd + postgres (the lab's Path 3)",
  "scripts/backends up incus haproxy zfs sshd postgres",
);
/** The run's report, failing the test with the run's error (step, message, hint) when it did not succeed. */
function succeeded(run: LabRun) {
  if (run.result.isErr()) {
    const e = run.result.error;
    const failed = e.report?.steps.find((s) => s.outcome === "failed");
    throw new Error(
      `run ${e.kind}: ${e.message} at ${failed?.id ?? "-"}: ${failed?.error?.message ?? ""} (${e.hint ?? "-"})`,
    );
  }
  expect(run.result.value.state).toBe("succeeded");
  return run.result.value;
}

const who = { actor: "lab-e2e", reason: "Path 3 end-to-end test on the lab" };
const decoder = new TextDecoder();

describe.skipIf(skip)(
  "the runbook's Path 3 on the lab (real Incus, PostgreSQL on zfs-fuse, SSH, fake Forgejo)",
  { timeout: 120_000 },
  () => {
    let d: LabPath3Drivers;
    const dir = scratchDir();
    const t = () => d.topology;
    const dataset = () => datasetName(t().snapshots, t().database.container);
    const sql = async (query: string) => (await labPsql(d.host, t(), query))._unsafeUnwrap();
    /** Whether the lab's tables hold exactly the migrations' data at `version`. */
    const contentAt = async (version: number) => {
      const check = labContentCheck(version);
      return (await sql(check.sql)) === check.expected;
    };
    const migration = async () => (await d.database.migrationState())._unsafeUnwrap();
    const snapshotNames = async () => (await d.snapshots.list(dataset()))._unsafeUnwrap().map((s) => s.name);
    const publicAnswer = async () => {
      const r = await d.probe.check({ url: t().publicHealthUrl, attempts: 1 });
      return r.isOk() ? (JSON.parse(r.value.body) as { color: string; sha: string; status: string }) : null;
    };

    beforeAll(async () => {
      d = await upWithPath3Drivers();
    }, 300_000);

    beforeEach(async () => {
      await ensureLabContainers(d);
      const reset = await resetLab(d);
      if (reset.isErr()) throw new Error(`lab reset failed: ${reset.error.message}`);
    }, 120_000);

    afterAll(async () => {
      if (!d) return;
      await ensureLabContainers(d);
      (await resetLab(d))._unsafeUnwrap();
      await closeLabDrivers(d);
    }, 120_000);

    it("starts from the canonical database: schema 4, the lab's data, a pre-deploy snapshot per release", async () => {
      expect(await migration()).toEqual({ managed: true, version: LAB_SCHEMA_VERSION, dirty: false });
      expect(await contentAt(LAB_SCHEMA_VERSION)).toBe(true);
      expect(await snapshotNames()).toEqual(
        PRE_DEPLOY_VERSIONS.map((p) => `${t().snapshots.prefix}${LAB_RELEASES[p.release]}`),
      );
    });

    it("tarball missing: rebuildAndPush puts the rebuilt artefacts in the registry, then Path 2 deploys them", async () => {
      const sha = LAB_RELEASES.old;
      for (const component of t().containers.components)
        (await d.registry.delete({ component, sha }))._unsafeUnwrap();
      for (const component of t().containers.components)
        expect((await d.registry.stat({ component, sha }))._unsafeUnwrap()).toBeNull();

      // "Build the artefact locally": the lab's stand-in bytes, under the runbook's file names.
      const build = mkdtempSync(join(tmpdir(), "backflip-lab-rebuild-"));
      const artifacts = t().containers.components.map((component) => {
        const path = join(build, `veza-${component}-${sha}.tar.zst`);
        writeFileSync(path, labArtifact(component, sha));
        return { component, path };
      });
      const push = await planned(rebuildAndPush(t(), d, { ...who, sha, artifacts }));
      expect(push.intent).toMatchObject({ path: "rebuild-push", sha });
      const pushed = await runOnLab(d, dir, push, { whyFailed: "the registry was purged of the SHA" });
      succeeded(pushed);
      for (const { component } of artifacts) {
        const info = (await d.registry.stat({ component, sha }))._unsafeUnwrap();
        const local = createHash("sha256").update(labArtifact(component, sha)).digest("hex");
        expect(info?.sha256 ?? local).toBe(local);
        expect(info?.size).toBe(labArtifact(component, sha).length);
      }
      expect(pushed.postmortem).toContain("Path 3");
      expect(pushed.postmortem).toContain("Then run Path 2");

      // "Then run Path 2": the native redeploy of that SHA into the idle color, flip, public probe.
      const probe = { attempts: 30, deadlineMs: 30_000, intervalMs: 500 };
      const plan = await planned(redeploy(t(), d, { ...who, sha, probe }));
      expect(plan.intent).toMatchObject({ path: "redeploy", from: "blue", to: "green", sha });
      expect(plan.describe().steps.map((s) => s.id)).toContain("migration-caveat");
      const run = await runOnLab(d, dir, plan);
      succeeded(run);
      for (const app of labApps(t()).filter((a) => a.color === "green")) {
        const release = (await d.host.pullFile(app.name, LAB_APP.releaseFile))._unsafeUnwrap();
        expect(decoder.decode(release).trim()).toBe(sha);
      }
      expect(await publicAnswer()).toMatchObject({ color: "green", sha, status: "ok" });
      expect(run.postmortem).toContain("Path 2");
      // The schema is not rolled back by Path 2: the caveat was logged into the postmortem.
      expect(run.postmortem).toContain(`schema stays at version ${LAB_SCHEMA_VERSION}`);
    });

    it("schema poisoned: applyInverseSql undoes migration 4 in one transaction, schema_migrations back to 3", async () => {
      const broken = await planned(
        applyInverseSql(t(), d, { ...who, sql: `${LAB_INVERSE_SQL}SELECT no_such_column FROM tracks;\n` }),
      );
      const failed = await runOnLab(d, dir, broken, { whyFailed: "migration 4 renamed tracks.duration_s" });
      expect(failed.result._unsafeUnwrapErr().report?.steps.find((s) => s.outcome === "failed")?.id).toBe(
        "apply-inverse-sql",
      );
      // All or nothing: the failing script changed nothing.
      expect(await migration()).toEqual({ managed: true, version: 4, dirty: false });
      expect(await contentAt(4)).toBe(true);

      const file = join(mkdtempSync(join(tmpdir(), "backflip-lab-sql-")), "inverse.sql");
      writeFileSync(file, LAB_INVERSE_SQL);
      const plan = await planned(applyInverseSql(t(), d, { ...who, sqlFile: file, expectedVersionAfter: 3 }));
      expect(plan.describe().steps.map((s) => s.id)).toEqual([
        "migration-state-before",
        "apply-inverse-sql",
        "migration-state-after",
      ]);
      const run = await runOnLab(d, dir, plan, { whyFailed: "migration 4 renamed tracks.duration_s" });
      const report = succeeded(run);
      expect(report.steps.find((s) => s.id === "migration-state-before")?.output).toMatchObject({
        version: 4,
      });
      expect(report.steps.find((s) => s.id === "migration-state-after")?.output).toMatchObject({
        version: 3,
      });
      expect(await migration()).toEqual({ managed: true, version: 3, dirty: false });
      // The data change is undone: durations in seconds again, under their old column name.
      expect(await contentAt(3)).toBe(true);
      expect(await sql("SELECT duration_s FROM tracks WHERE id = 1")).toBe("337");
      expect(run.postmortem).toContain("inverse SQL");
      expect(run.postmortem).toContain("schema\\_migrations: version 3"); // backend text is Markdown-escaped
    });

    it("host broken: restoreSnapshot stops postgres, rolls its dataset back over SSH, starts it; later rows are gone", async () => {
      const sha = LAB_RELEASES.current;
      const snapshot = `${t().snapshots.prefix}${sha}`;
      await sql(
        "INSERT INTO tracks (id, title, duration_ms) VALUES (100, 'written after the snapshot', 1000)",
      );
      await sql("CHECKPOINT");
      expect(await sql("SELECT count(*) FROM tracks")).toBe("4");

      // Rolling back to an older snapshot would also destroy the newer ones: the preview says so first.
      const prior = (await planRestoreSnapshot(t(), d, { ...who, sha: LAB_RELEASES.prior }))._unsafeUnwrap();
      expect(prior.report.destroyedSnapshots.map((s) => s.name)).toEqual([snapshot]);
      expect(prior.summary).toContain(snapshot);

      const plan = await planned(restoreSnapshot(t(), d, { ...who, sha }));
      expect(plan.describe().steps.map((s) => s.id)).toEqual([
        "data-loss-report",
        "stop-container",
        "zfs-rollback",
        "start-container",
        "container-running",
      ]);
      // Without acknowledging the data loss nothing changes.
      const refused = await runPlan(plan, { journal: new MemoryJournal(), lock: new MemoryLeaseLock() });
      expect(refused._unsafeUnwrapErr().kind).toBe("needs_acknowledgement");
      expect((await d.host.state(t().database.container))._unsafeUnwrap().running).toBe(true);
      expect(await sql("SELECT count(*) FROM tracks")).toBe("4");

      // Incus too is reached over SSH: the host's socket forwarded through the SSH connection.
      expect(d.incusForward.path).toContain("incus-over-ssh");
      const sentBefore = d.host.requestsSent;
      const run = await runOnLab(d, dir, plan, {
        whyFailed: "the Incus host is in a bad state",
        acknowledgeDataLoss: true,
      });
      const report = succeeded(run);
      expect(d.host.requestsSent).toBeGreaterThan(sentBefore);
      const loss = report.steps.find((s) => s.id === "data-loss-report")?.output as DataLossReport;
      expect(loss.target.name).toBe(snapshot);
      expect(loss.destroyedSnapshots).toEqual([]);
      expect(loss.bytesWritten).toBeNull(); // zfs-fuse cannot tell
      const logged = run.events.flatMap((e) => (e.type === "step.log" ? [e.message] : []));
      expect(logged.some((m) => m.includes(dataset()) && m.includes(loss.target.createdAt))).toBe(true);

      // PostgreSQL is back with the data as at the snapshot: schema 3, the row written after it gone.
      (await waitPostgresReady(d.host, t()))._unsafeUnwrap();
      expect(await migration()).toEqual({ managed: true, version: 3, dirty: false });
      expect(await contentAt(3)).toBe(true);
      expect(await sql("SELECT count(*) FROM tracks WHERE id = 100")).toBe("0");
      expect(await snapshotNames()).toEqual(
        PRE_DEPLOY_VERSIONS.map((p) => `${t().snapshots.prefix}${LAB_RELEASES[p.release]}`),
      );
      expect(run.postmortem).toContain("ZFS snapshot rollback");
      expect(run.postmortem).toContain(`zfs rollback -r ${dataset()}@${snapshot}`);
      expect(run.postmortem).toContain("data loss");
    });
  },
);
