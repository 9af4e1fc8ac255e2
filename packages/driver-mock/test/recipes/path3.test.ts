import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { datasetName } from "@backflip/core";
import {
  applyInverseSql,
  planRestoreSnapshot,
  rebuildAndPush,
  redeploy,
  restoreSnapshot,
} from "@backflip/core/recipes";
import { stepContext } from "@backflip/core/testing/fakes";
import { describe, expect, it } from "vitest";
import { fleetSha } from "../../src/index";
import { fleet, run, topology, worldSnapshot } from "./fleet-run";

const A = fleetSha("path3 A");
const B = fleetSha("path3 B");
const who = { actor: "alice", reason: "manual emergency" };

const purgedFleet = () =>
  fleet({
    active: "green",
    colors: {
      blue: { sha: B, running: false, healthy: true },
      green: { sha: B, running: true, healthy: true },
    },
    history: [
      { at: "2026-01-01T00:00:00.000Z", color: "green", sha: B },
      { at: "2025-12-31T22:00:00.000Z", color: "blue", sha: A },
    ],
    artifacts: [B],
  });

async function builtArtifacts(components: string[]) {
  const dir = await mkdtemp(join(tmpdir(), "backflip-rebuild-"));
  return Promise.all(
    components.map(async (component) => {
      const path = join(dir, `veza-${component}-${A}.tar.zst`);
      await writeFile(path, `rebuilt ${component} ${A}\n`);
      return { component, path };
    }),
  );
}

describe("rebuildAndPush (Path 3: tarball missing)", () => {
  it("pushes the rebuilt artefacts, verifies them, and Path 2 then works", async () => {
    const f = purgedFleet();
    expect((await redeploy(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrapErr().hint).toContain(
      "Path 3",
    );
    const artifacts = await builtArtifacts(["backend", "stream", "web"]);
    const plan = (await rebuildAndPush(topology, f.drivers, { ...who, sha: A, artifacts }))._unsafeUnwrap();
    expect(plan.render()).toContain(
      `$ curl -sS -X PUT http://forgejo.fleet/api/packages/talas/generic/veza-backend/${A}/veza-backend-${A}.tar.zst`,
    );
    (await run(f, plan)).result._unsafeUnwrap();
    for (const c of topology.containers.components) expect(f.world.hasArtifact(c, A)).toBe(true);
    const path2 = (await redeploy(topology, f.drivers, { ...who, sha: A }))._unsafeUnwrap();
    (await run(f, path2)).result._unsafeUnwrap();
    expect(f.world.traffic().history[0]).toMatchObject({ color: "blue", sha: A });
  });

  it("prints dry-run lines that, pasted into sh, never run a command hidden in a file name (issue 17, finding 3)", async () => {
    const f = purgedFleet();
    const dir = await mkdtemp(join(tmpdir(), "backflip-hostile-"));
    const artifacts = await Promise.all(
      ["backend", "stream", "web"].map(async (component) => {
        // No ';': the shared path schema refuses it (issue 17, finding 4); '&&' is as hostile to a shell.
        const path = join(dir, `veza-${component}-$(touch x)\`touch y\` && touch z '.tar.zst`);
        await writeFile(path, `rebuilt ${component}\n`);
        return { component, path };
      }),
    );
    const plan = (await rebuildAndPush(topology, f.drivers, { ...who, sha: A, artifacts }))._unsafeUnwrap();
    const local = plan.describe().steps[0]!;
    expect(local.actions.every((a) => a.kind === "exec" && a.where.kind === "local")).toBe(true);
    for (const [i, line] of local.lines.entries()) {
      const hashed = execFileSync("sh", ["-c", line], { cwd: dir, encoding: "utf8" });
      expect(hashed).toContain(artifacts[i]!.path);
    }
    expect((await readdir(dir)).sort()).toEqual(artifacts.map((a) => basename(a.path)).sort());
  });

  it("refuses when a missing component is not given, or when nothing is missing", async () => {
    const f = purgedFleet();
    const some = await builtArtifacts(["backend"]);
    const e = (
      await rebuildAndPush(topology, f.drivers, { ...who, sha: A, artifacts: some })
    )._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
    expect(e.message).toContain("stream, web");
    const all = await builtArtifacts(["backend", "stream", "web"]);
    const none = (
      await rebuildAndPush(topology, f.drivers, { ...who, sha: B, artifacts: all })
    )._unsafeUnwrapErr();
    expect(none.reason).toBe("conflict");
  });

  it("bad inputs change nothing", async () => {
    const f = purgedFleet();
    const before = worldSnapshot(f);
    const [one] = await builtArtifacts(["backend"]);
    for (const artifacts of [
      [],
      [{ component: "database", path: one!.path }],
      [{ component: "backend", path: "relative/path.tar.zst" }],
      [one, one],
    ]) {
      const e = (
        await rebuildAndPush(topology, f.drivers, { ...who, sha: A, artifacts } as never)
      )._unsafeUnwrapErr();
      expect(e.reason).toBe("invalid_input");
    }
    const missingFile = [{ component: "backend", path: "/nonexistent/veza-backend.tar.zst" }];
    expect(
      (
        await rebuildAndPush(topology, f.drivers, { ...who, sha: A, artifacts: missingFile })
      )._unsafeUnwrapErr().reason,
    ).toBe("not_found");
    expect(worldSnapshot(f)).toBe(before);
  });
});

describe("applyInverseSql (Path 3: schema is poisoned)", () => {
  const inverse =
    "ALTER TABLE users ADD COLUMN legacy_name text;\nUPDATE schema_migrations SET version = 6, dirty = FALSE;";

  it("applies the inverse SQL in one transaction and checks the version after", async () => {
    const f = fleet({ ...defaultScenarioWith(), migration: { version: 7, dirty: true } });
    const plan = (
      await applyInverseSql(topology, f.drivers, { ...who, sql: inverse, expectedVersionAfter: 6 })
    )._unsafeUnwrap();
    expect(plan.render()).toContain(
      "$ incus exec veza-staging-postgres -- psql -X -v 'ON_ERROR_STOP=1' -U veza -d veza --single-transaction -f -",
    );
    (await run(f, plan)).result._unsafeUnwrap();
    expect(f.world.migration()).toEqual({ managed: true, version: 6, dirty: false });
    expect(f.world.table("users")?.columns).toContain("legacy_name");
  });

  it("reads the SQL from a file", async () => {
    const f = fleet({ ...defaultScenarioWith(), migration: { version: 7, dirty: false } });
    const dir = await mkdtemp(join(tmpdir(), "backflip-sql-"));
    const sqlFile = join(dir, "inverse.sql");
    await writeFile(sqlFile, inverse);
    (
      await run(f, (await applyInverseSql(topology, f.drivers, { ...who, sqlFile }))._unsafeUnwrap())
    ).result._unsafeUnwrap();
    expect(f.world.migration().version).toBe(6);
  });

  it("a failing statement applies nothing (all or nothing)", async () => {
    const f = fleet({ ...defaultScenarioWith(), migration: { version: 7, dirty: true } });
    const plan = (
      await applyInverseSql(topology, f.drivers, {
        ...who,
        sql: `${inverse}\nINSERT INTO users VALUES (FAIL);`,
      })
    )._unsafeUnwrap();
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.report?.error?.stepId).toBe("apply-inverse-sql");
    expect(f.world.migration()).toEqual({ managed: true, version: 7, dirty: true });
    expect(f.world.table("users")?.columns).not.toContain("legacy_name");
  });

  it("bad inputs change nothing", async () => {
    const f = fleet();
    const before = worldSnapshot(f);
    for (const input of [
      { ...who },
      { ...who, sql: "   " },
      { ...who, sql: "SELECT 1;", sqlFile: "/tmp/x.sql" },
      { ...who, sqlFile: "inverse.sql" },
      { ...who, sql: "a\0b" },
    ])
      expect((await applyInverseSql(topology, f.drivers, input as never))._unsafeUnwrapErr().reason).toBe(
        "invalid_input",
      );
    expect(worldSnapshot(f)).toBe(before);
  });
});

describe("restoreSnapshot (Path 3: Incus host broken)", () => {
  const pg = topology.database.container;

  it("without acknowledgement: refused, with the data-loss report in the plan and the preview", async () => {
    const f = fleet();
    f.clock.advance(3 * 3_600_000);
    const preview = (await planRestoreSnapshot(topology, f.drivers, who))._unsafeUnwrap();
    expect(preview.dataset).toBe(datasetName(topology.snapshots, pg));
    expect(preview.snapshot.startsWith("pre-deploy-")).toBe(true);
    expect(preview.report.sinceMs).toBeGreaterThan(0);
    expect(preview.summary).toContain("loses every write");
    const plan = (await restoreSnapshot(topology, f.drivers, who))._unsafeUnwrap();
    expect(plan.render()).toContain("DESTRUCTIVE");
    expect(plan.render()).toContain(preview.summary);
    expect(plan.intent.params?.report).toEqual(preview.report);
    const before = worldSnapshot(f);
    const error = (await run(f, plan)).result._unsafeUnwrapErr();
    expect(error.kind).toBe("needs_acknowledgement");
    expect(worldSnapshot(f)).toBe(before);
  });

  it("with acknowledgement: stops, rolls the dataset back (restoring the data), starts", async () => {
    const f = fleet();
    f.world
      .setTable("users", { columns: ["id", "email"], rows: [{ id: 9, email: "late@veza.fr" }] })
      ._unsafeUnwrap();
    const plan = (await restoreSnapshot(topology, f.drivers, who))._unsafeUnwrap();
    const { result, events } = await run(f, plan, { acknowledgeDataLoss: true });
    result._unsafeUnwrap();
    expect(f.world.table("users")?.rows.map((r) => r.email)).toEqual(["ada@veza.fr", "grace@veza.fr"]);
    expect(f.world.container(pg)?.status).toBe("Running");
    expect(events.some((e) => e.type === "step.log" && e.message.startsWith("data loss:"))).toBe(true);
  });

  it("the step itself refuses without acknowledgement, even when a runner would not", async () => {
    const f = fleet();
    const plan = (await restoreSnapshot(topology, f.drivers, who))._unsafeUnwrap();
    const step = plan.steps.find((s) => s.id === "zfs-rollback")!;
    const e = (await step.run(stepContext({ runId: "r" })))._unsafeUnwrapErr();
    expect(e.message).toContain("loses every write");
  });

  it("a missing snapshot is not_found; bad inputs are invalid_input; nothing changes", async () => {
    const f = fleet();
    const before = worldSnapshot(f);
    expect(
      (await restoreSnapshot(topology, f.drivers, { ...who, snapshot: "pre-deploy-nope" }))._unsafeUnwrapErr()
        .reason,
    ).toBe("not_found");
    for (const input of [
      { ...who, snapshot: "a@b" },
      { ...who, sha: "abc" },
      { ...who, snapshot: "pre-deploy-x", sha: A },
      { ...who, container: "-bad" },
    ])
      expect((await restoreSnapshot(topology, f.drivers, input as never))._unsafeUnwrapErr().reason).toBe(
        "invalid_input",
      );
    expect(worldSnapshot(f)).toBe(before);
  });
});

function defaultScenarioWith() {
  return {
    active: "green",
    colors: {
      blue: { sha: A, running: true, healthy: true },
      green: { sha: B, running: true, healthy: true },
    },
  };
}
