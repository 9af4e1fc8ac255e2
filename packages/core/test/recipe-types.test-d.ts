/**
 * Type tests, checked by `pnpm typecheck` (tsc over packages/*\/test): recipe inputs are
 * exact (a color is a string, never `unknown`), and a recipe's drivers argument is typed
 * to exactly the drivers it declares.
 */
import { expectTypeOf } from "vitest";
import type { ContainerHost, Database, HealthProbe, TrafficSwitch } from "../src/index";
import {
  type ApplyInverseSqlInput,
  applyInverseSql,
  type CleanupColorInput,
  type FastFlipInput,
  fastFlip,
  type RebuildAndPushInput,
  type RedeployInput,
  type RedeployViaPipelineInput,
  type RestoreSnapshotInput,
  redeploy,
  vezaTopology,
} from "../src/recipes/index";

declare const host: ContainerHost;
declare const traffic: TrafficSwitch;
declare const probe: HealthProbe;
declare const database: Database;
const topology = vezaTopology("staging");
const who = { actor: "alice", reason: "types" };

// Exact inputs: the color and SHA fields are strings, not unknown.
expectTypeOf<FastFlipInput["target"]>().toEqualTypeOf<string | undefined>();
expectTypeOf<CleanupColorInput["color"]>().toEqualTypeOf<string>();
expectTypeOf<CleanupColorInput["via"]>().toEqualTypeOf<"native" | "pipeline" | undefined>();
expectTypeOf<RedeployInput["sha"]>().toEqualTypeOf<string>();
expectTypeOf<RedeployViaPipelineInput["sha"]>().toEqualTypeOf<string>();
expectTypeOf<RebuildAndPushInput["artifacts"][number]["component"]>().toEqualTypeOf<string>();
expectTypeOf<RestoreSnapshotInput["sha"]>().toEqualTypeOf<string | undefined>();
expectTypeOf<ApplyInverseSqlInput["sql"]>().toEqualTypeOf<string | undefined>();

fastFlip(topology, { host, traffic, probe }, { ...who, target: "blue" });
// @ts-expect-error a color is a string: tsc rejects target: 42
fastFlip(topology, { host, traffic, probe }, { ...who, target: 42 });
// @ts-expect-error an unknown field is rejected too
fastFlip(topology, { host, traffic, probe }, { ...who, colour: "blue" });

// Drivers typed to exactly what a recipe declares.
applyInverseSql(topology, { database }, { ...who, sql: "SELECT 1" });
// @ts-expect-error applyInverseSql without a database driver is a compile error, not a runtime `unsupported`
applyInverseSql(topology, { host, traffic, probe }, { ...who, sql: "SELECT 1" });
// @ts-expect-error redeploy needs a registry driver
redeploy(topology, { host, traffic, probe }, { ...who, sha: "a".repeat(40) });
