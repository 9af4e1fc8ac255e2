import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datasetName } from "@backflip/core";
import { vezaTopology } from "@backflip/core/recipes";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFleet, defaultScenario, fleetSha } from "../src/index";

const topology = vezaTopology("staging");
const pgDataset = datasetName(topology.snapshots, topology.database.container);
const greenSha = fleetSha("green");

describe("registry", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "backflip-mock-registry-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("enforces keep-N retention on upload, purging the oldest versions", async () => {
    const fleet = createFleet({ scenario: { ...defaultScenario(topology), retention: 3 } });
    const [a, b] = [fleetSha("a"), fleetSha("b")];
    for (const sha of [a, b]) {
      (
        await fleet.drivers.registry.upload(
          { component: "backend", sha },
          {
            stream: (async function* () {
              yield new TextEncoder().encode(sha);
            })(),
          },
        )
      )._unsafeUnwrap();
    }
    const versions = (await fleet.drivers.registry.listVersions("backend"))
      ._unsafeUnwrap()
      .map((v) => v.version);
    expect(versions).toEqual([b, a, greenSha]);
    expect(fleet.world.hasArtifact("backend", fleetSha("blue"))).toBe(false);
    expect(fleet.world.hasArtifact("stream", fleetSha("blue"))).toBe(true);
  });

  it("downloads a seeded artifact to a real file with the advertised checksum", async () => {
    const fleet = createFleet();
    const dest = join(dir, "backend.tar.zst");
    const info = (
      await fleet.drivers.registry.download({ component: "backend", sha: greenSha }, dest)
    )._unsafeUnwrap();
    expect(info.file).toBe(`veza-backend-${greenSha}.tar.zst`);
    expect((await readFile(dest)).length).toBe(info.size);
    fleet.world.purgeRelease(greenSha)._unsafeUnwrap();
    const gone = (
      await fleet.drivers.registry.download({ component: "backend", sha: greenSha }, join(dir, "x"))
    )._unsafeUnwrapErr();
    expect(gone.reason).toBe("not_found");
    expect(gone.hint).toContain("Path 3");
  });
});

describe("database", () => {
  it("applies the subset all or nothing; FAIL or an unknown table rolls the whole script back", async () => {
    const fleet = createFleet();
    const db = fleet.drivers.database;
    (
      await db.applySql(
        "-- inverse of migration 2\nALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET nickname = 'ada' WHERE id = 1;\nINSERT INTO users (id, email) VALUES (3, 'o''brien@veza.fr');\nDELETE FROM users WHERE id = 2;\nUPDATE schema_migrations SET version = 2, dirty = false;",
      )
    )._unsafeUnwrap();
    expect(fleet.world.table("users")?.rows).toEqual([
      { id: 1, email: "ada@veza.fr", nickname: "ada" },
      { id: 3, email: "o'brien@veza.fr", nickname: null },
    ]);
    expect((await db.migrationState())._unsafeUnwrap()).toEqual({ managed: true, version: 2, dirty: false });
    const before = fleet.world.table("users");
    const failed = (await db.applySql("DELETE FROM users; SELECT FAIL;"))._unsafeUnwrapErr();
    expect(failed.reason).toBe("failed");
    expect(failed.details).toMatchObject({ statement: 2 });
    expect((await db.applySql("DELETE FROM users; DROP TABLE nope;"))._unsafeUnwrapErr().message).toContain(
      '"nope"',
    );
    expect(
      (await db.applySql("DELETE FROM users; GRANT ALL ON users TO bob;"))._unsafeUnwrapErr().reason,
    ).toBe("failed");
    expect(fleet.world.table("users")).toEqual(before);
  });

  it("is unavailable while the postgres container is stopped", async () => {
    const fleet = createFleet();
    fleet.world.setStatus(topology.database.container, "Stopped")._unsafeUnwrap();
    expect((await fleet.drivers.database.migrationState())._unsafeUnwrapErr().reason).toBe("unavailable");
  });

  it("reports a dirty migration from the scenario", async () => {
    const fleet = createFleet({
      scenario: { ...defaultScenario(topology), migration: { version: 7, dirty: true } },
    });
    expect((await fleet.drivers.database.migrationState())._unsafeUnwrap()).toEqual({
      managed: true,
      version: 7,
      dirty: true,
    });
  });
});

describe("snapshots", () => {
  it("rollback -r restores the database state of the pre-deploy snapshot and destroys newer snapshots", async () => {
    const fleet = createFleet();
    const { snapshots, database, host } = fleet.drivers;
    const target = `pre-deploy-${greenSha}`;
    (await database.applySql("DELETE FROM users WHERE id = 1;"))._unsafeUnwrap();
    (await snapshots.create(pgDataset, "hourly-1"))._unsafeUnwrap();
    fleet.clock.advance(90_000);
    const plan = (await snapshots.planRollback(pgDataset, target))._unsafeUnwrap();
    expect(plan.destroyedSnapshots.map((s) => s.name)).toEqual(["hourly-1"]);
    expect(plan.sinceMs).toBe(3_600_000 + 90_000);

    const refused = (
      await snapshots.rollback(pgDataset, target, { acknowledgeDataLoss: false })
    )._unsafeUnwrapErr();
    expect(refused.reason).toBe("invalid_input");
    expect(refused.details).toMatchObject({ report: plan });
    const busy = (
      await snapshots.rollback(pgDataset, target, { acknowledgeDataLoss: true })
    )._unsafeUnwrapErr();
    expect(busy.reason).toBe("conflict");
    expect(busy.hint).toContain("incus stop");
    expect(fleet.world.table("users")?.rows).toHaveLength(1);

    (await host.stop(topology.database.container))._unsafeUnwrap();
    (await snapshots.rollback(pgDataset, target, { acknowledgeDataLoss: true }))._unsafeUnwrap();
    (await host.start(topology.database.container))._unsafeUnwrap();
    expect(fleet.world.table("users")?.rows).toHaveLength(2);
    expect((await snapshots.list(pgDataset))._unsafeUnwrap().map((s) => s.name)).toEqual([target]);
  });

  it("has a dataset per container, gone with the container", async () => {
    const fleet = createFleet();
    const dataset = datasetName(topology.snapshots, "veza-staging-web-blue");
    (await fleet.drivers.snapshots.create(dataset, "before-cleanup"))._unsafeUnwrap();
    fleet.world.destroyColor("blue")._unsafeUnwrap();
    expect((await fleet.drivers.snapshots.list(dataset))._unsafeUnwrapErr().reason).toBe("not_found");
  });
});
