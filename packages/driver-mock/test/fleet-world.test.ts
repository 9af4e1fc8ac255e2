import { colorContainers, datasetName } from "@backflip/core";
import { vezaHaproxy, vezaTopology } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { createFleet, defaultScenario, FLEET_EPOCH, fleetSha, tryCreateFleet } from "../src/index";

const topology = vezaTopology("staging");
const blueSha = fleetSha("blue");
const greenSha = fleetSha("green");

describe("the default fleet", () => {
  it("has both colors running and healthy, green active and live, blue prior in the history", async () => {
    const fleet = createFleet();
    expect(fleet.clock.now().toISOString()).toBe(FLEET_EPOCH);
    for (const color of ["blue", "green"]) {
      const containers = fleet.world.colorContainers(color);
      expect(containers.map((c) => c.name)).toEqual(colorContainers(topology, color));
      for (const c of containers)
        expect(c).toMatchObject({ status: "Running", healthy: true, sha: fleetSha(color) });
    }
    const traffic = fleet.world.traffic();
    expect(traffic).toMatchObject({
      activeColor: "green",
      liveColor: "green",
      liveRevision: `green:${greenSha}:seed`,
    });
    expect(traffic.history.map((h) => [h.color, h.sha])).toEqual([
      ["green", greenSha],
      ["blue", blueSha],
    ]);
    const state = (await fleet.drivers.traffic.readState())._unsafeUnwrap();
    expect(state).toEqual({ activeColor: "green", history: traffic.history });
    expect(fleet.world.publicHealth()).toMatchObject({ status: 200 });
  });

  it("holds both SHAs for every component in the registry, the prior one older", async () => {
    const fleet = createFleet();
    for (const component of topology.containers.components) {
      const versions = (await fleet.drivers.registry.listVersions(component))._unsafeUnwrap();
      expect(versions.map((v) => v.version)).toEqual([greenSha, blueSha]);
    }
  });

  it("has a database with schema_migrations and a pre-deploy snapshot of its dataset", async () => {
    const fleet = createFleet();
    expect((await fleet.drivers.database.migrationState())._unsafeUnwrap()).toEqual({
      managed: true,
      version: 1,
      dirty: false,
    });
    const dataset = datasetName(topology.snapshots, topology.database.container);
    const snapshots = (await fleet.drivers.snapshots.list(dataset))._unsafeUnwrap();
    expect(snapshots.map((s) => s.name)).toEqual([`pre-deploy-${greenSha}`]);
    expect(fleet.world.tables()).toEqual(["schema_migrations", "users"]);
  });

  it("exposes the state files to a shell inside the HAProxy container, like the runbook's pre-checks", async () => {
    const fleet = createFleet();
    const shell = fleet.drivers.host.shell(vezaHaproxy(topology.env).container);
    const active = (await shell.run(["cat", topology.traffic.stateFile]))._unsafeUnwrap();
    expect(active.stdout).toBe("green\n");
    const head = (await shell.run(["head", "-2", topology.traffic.historyFile]))._unsafeUnwrap();
    expect(
      head.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t")[1]),
    ).toEqual(["green", "blue"]);
    const listed = (
      await fleet.drivers.host.list({ pattern: "veza-staging-{backend,stream,web}-blue" })
    )._unsafeUnwrap();
    expect(listed.map((i) => [i.name, i.status])).toEqual(
      colorContainers(topology, "blue").map((n) => [n, "Running"]),
    );
  });
});

describe("scenarios", () => {
  it("builds a fleet whose prior color was destroyed, with an explicit history and purged artifacts", async () => {
    const old = fleetSha("old");
    const fleet = createFleet({
      scenario: {
        active: "green",
        colors: { blue: null, green: { sha: greenSha, running: true, healthy: false } },
        history: [
          { at: "2025-12-31T23:00:00.000Z", color: "green", sha: greenSha },
          { at: "2025-12-31T22:00:00.000Z", color: "blue", sha: old },
        ],
        artifacts: [greenSha],
        retention: 5,
        migration: "unmanaged",
      },
    });
    expect(fleet.world.colorContainers("blue")).toEqual([]);
    expect(fleet.world.hasArtifact("backend", old)).toBe(false);
    expect(fleet.world.traffic().history[1]?.sha).toBe(old);
    expect(fleet.world.publicHealth()).toMatchObject({ status: 503 });
    expect((await fleet.drivers.database.migrationState())._unsafeUnwrap().managed).toBe(false);
  });

  it("rejects a malformed scenario: tryCreateFleet as a value, createFleet by throwing", () => {
    const bad = { ...defaultScenario(topology), active: "purple" };
    const result = tryCreateFleet({ scenario: bad });
    expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(result._unsafeUnwrapErr().message).toContain("purple");
    expect(() => createFleet({ scenario: { ...bad, active: "green", artifacts: ["abc"] } })).toThrow(
      /invalid_input/,
    );
    expect(tryCreateFleet({ now: new Date("nope") }).isErr()).toBe(true);
  });

  it("uses another topology's names (prod has no env prefix)", () => {
    const fleet = createFleet({ topology: vezaTopology("prod") });
    expect(fleet.world.container("veza-haproxy")?.role).toBe("haproxy");
    expect(fleet.world.container("veza-backend-green")?.sha).toBe(greenSha);
    expect(fleet.publicHealthUrl).toBe("https://veza.fr/api/v1/health");
  });
});

describe("world mutators", () => {
  it("validate their input and change nothing on a bad one", () => {
    const fleet = createFleet();
    expect(fleet.world.setStatus("no such container!", "Stopped")._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect(fleet.world.setStatus("veza-staging-nope", "Stopped")._unsafeUnwrapErr().reason).toBe("not_found");
    expect(fleet.world.deployColor("purple", greenSha)._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(fleet.world.deployColor("blue", "abc")._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(fleet.world.purgeArtifact("backend", fleetSha("never"))._unsafeUnwrapErr().reason).toBe(
      "not_found",
    );
    expect(fleet.world.colorContainers("blue").every((c) => c.sha === blueSha)).toBe(true);
  });

  it("return copies: changing a view changes nothing", () => {
    const fleet = createFleet();
    const files = fleet.world.container("veza-staging-backend-blue")?.files as Map<string, Uint8Array>;
    files.clear();
    expect(fleet.world.release("veza-staging-backend-blue")).toBe(blueSha);
  });
});
