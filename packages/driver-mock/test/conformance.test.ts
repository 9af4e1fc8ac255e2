import { datasetName, HttpHealthProbe } from "@backflip/core";
import { vezaHaproxy } from "@backflip/core/recipes";
import {
  runArtifactRegistryConformance,
  runContainerHostConformance,
  runDatabaseConformance,
  runHealthProbeConformance,
  runJournalConformance,
  runLeaseLockConformance,
  runPipelineConformance,
  runShellConformance,
  runSnapshotStoreConformance,
  runTrafficSwitchConformance,
} from "@backflip/core/testing";
import { createFleet, defaultScenario } from "../src/index";

// The simulated fleet against every port's conformance suite: one fresh fleet per test.

const topologyOf = () => createFleet().topology;

runShellConformance({
  name: "mock container shell",
  setup: async () => ({ port: createFleet().drivers.host.shell("veza-staging-backend-green"), fixtures: {} }),
});

runShellConformance({
  name: "mock host shell",
  setup: async () => ({ port: createFleet().drivers.hostShell, fixtures: {} }),
});

runHealthProbeConformance({
  // Loopback URLs are outside the fleet: they reach the fallback, core's HTTP probe.
  name: "mock probe (HTTP fallback for non-fleet URLs)",
  setup: async () => ({
    port: createFleet({ probeFallback: new HttpHealthProbe() }).drivers.probe,
    fixtures: {},
  }),
});

runContainerHostConformance({
  name: "mock incus",
  setup: async () => {
    const fleet = createFleet();
    fleet.world.setStatus("veza-staging-backend-blue", "Stopped")._unsafeUnwrap();
    let disposed = 0;
    return {
      port: fleet.drivers.host,
      fixtures: {
        running: "veza-staging-backend-green",
        stopped: "veza-staging-backend-blue",
        disposable: async () => {
          const name = `bf-disposable-${++disposed}`;
          fleet.world.addContainer(name)._unsafeUnwrap();
          return name;
        },
      },
    };
  },
});

runTrafficSwitchConformance({
  name: "mock haproxy",
  setup: async () => {
    const fleet = createFleet();
    return {
      port: fleet.drivers.traffic,
      fixtures: {
        activeColor: "green",
        switchTo: {
          color: "blue",
          sha: defaultScenario(topologyOf()).colors.blue?.sha,
          runId: "r",
          actor: "alice",
        },
        readLive: async () => fleet.world.traffic().config ?? "",
        historyLimit: fleet.topology.traffic.historyLimit,
        listBesideLive: async () => {
          const { container, configPath } = vezaHaproxy(fleet.topology.env);
          const dir = configPath.slice(0, configPath.lastIndexOf("/") + 1);
          const files = fleet.world.container(container)?.files.keys() ?? [];
          return [...files].filter((p) => p.startsWith(dir)).map((p) => p.slice(dir.length));
        },
        writePrevious: async (content) => {
          const { container, configPath } = vezaHaproxy(fleet.topology.env);
          fleet.world.writeFile(container, `${configPath}.prev`, content)._unsafeUnwrap();
        },
      },
    };
  },
});

runArtifactRegistryConformance({
  name: "mock registry",
  setup: async () => {
    const fleet = createFleet({ scenario: { ...defaultScenario(topologyOf()), artifacts: [] } });
    return {
      port: fleet.drivers.registry,
      fixtures: {
        component: "backend",
        corrupt: async (ref) => {
          fleet.world.corruptArtifact(ref)._unsafeUnwrap();
        },
      },
    };
  },
});

runPipelineConformance({
  name: "mock forgejo actions",
  setup: async () => {
    const fleet = createFleet();
    fleet.world.defineWorkflow("long.yml", "never")._unsafeUnwrap();
    return {
      port: fleet.drivers.pipeline,
      fixtures: {
        succeeds: {
          workflow: "rollback.yml",
          ref: "main",
          inputs: { env: "staging", mode: "fast", target_color: "blue" },
        },
        fails: { workflow: "cleanup-failed.yml", ref: "main", inputs: { env: "staging", color: "green" } },
        longRunning: { workflow: "long.yml", ref: "main", inputs: {} },
        missing: { workflow: "no-such-workflow.yml", ref: "main", inputs: {} },
      },
    };
  },
});

runDatabaseConformance({
  name: "mock postgres",
  setup: async () => {
    const fleet = createFleet();
    return {
      port: fleet.drivers.database,
      fixtures: {
        goodScript:
          "CREATE TABLE conformance_good (id integer, note text);\nINSERT INTO conformance_good VALUES (1, 'one');",
        failingScript:
          "CREATE TABLE conformance_failing (id integer);\nINSERT INTO conformance_failing VALUES (1);\nINSERT INTO no_such_table VALUES (2);",
        effectsVisible: async (script) =>
          fleet.world.table(script === "good" ? "conformance_good" : "conformance_failing") !== null,
        setMigrationState: async (state) => {
          const set =
            state === "no-table"
              ? fleet.world.setMigration("unmanaged")
              : fleet.world.setMigration(state === "no-row" ? { version: null, dirty: false } : state);
          set._unsafeUnwrap();
        },
      },
    };
  },
});

runSnapshotStoreConformance({
  name: "mock zfs",
  setup: async () => {
    const fleet = createFleet();
    const dataset = datasetName(fleet.topology.snapshots, "veza-staging-conformance");
    fleet.world.addDataset(dataset)._unsafeUnwrap();
    return {
      port: fleet.drivers.snapshots,
      fixtures: {
        dataset,
        missingDataset: "rpool/incus/containers/no-such-container",
        writeData: async (text) => {
          fleet.world.writeDatasetFile(dataset, "/data.txt", text)._unsafeUnwrap();
        },
        readData: async () =>
          new TextDecoder().decode(fleet.world.datasetFile(dataset, "/data.txt") ?? new Uint8Array()),
      },
    };
  },
});

runJournalConformance({
  name: "mock journal",
  setup: async () => ({ port: createFleet().journal, fixtures: {} }),
});

runLeaseLockConformance({
  // The suite waits for leases to expire in real time: the fleet clock follows it here.
  name: "mock lock (realtime clock)",
  setup: async () => ({ port: createFleet({ clock: "realtime" }).lock, fixtures: {} }),
});
