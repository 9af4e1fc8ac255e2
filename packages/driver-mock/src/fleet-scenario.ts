import { createHash } from "node:crypto";
import type { DriverError, HistoryEntry, Topology } from "@backflip/core";
import { invalidInput, lazySchema, parseInput, shaSchema, simpleNameSchema } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import * as z from "zod";

/** One color's app containers in a {@link FleetScenario}. */
export interface ColorScenario {
  /** The release SHA the containers carry (`/opt/veza/RELEASE`). */
  readonly sha: string;
  /** True when the containers are Running (else Stopped). */
  readonly running: boolean;
  /** True when they answer healthy on the health path. */
  readonly healthy: boolean;
}

/** The starting state of a simulated fleet. */
export interface FleetScenario {
  /** The active color: what the state file says and what the proxy routes to. */
  readonly active: string;
  /** Each color's containers; `null` (or absent) when they were destroyed. */
  readonly colors: Readonly<Record<string, ColorScenario | null>>;
  /** The switch history, newest first (default: the active color, then the other one, one hour apart). */
  readonly history?: readonly HistoryEntry[];
  /** SHAs in the registry for every component, oldest first (default: the colors' SHAs, prior first). */
  readonly artifacts?: readonly string[];
  /** Versions kept per package by the registry's keep-N rule (default: the topology's). */
  readonly retention?: number;
  /** `schema_migrations` (default version 1, clean), or `"unmanaged"` when the table does not exist. */
  readonly migration?: { readonly version: number | null; readonly dirty: boolean } | "unmanaged";
}

/** A deterministic fake release SHA for a label. */
export const fleetSha = (label: string): string =>
  createHash("sha1").update(`backflip simulated fleet: ${label}`).digest("hex");

/**
 * The default scenario: both colors deployed, running and healthy, the second color of
 * the topology (`green`) active and the first (`blue`) prior, each with its own SHA.
 */
export function defaultScenario(topology: Topology): FleetScenario {
  const [prior, active] = topology.colors;
  return {
    active,
    colors: {
      [prior]: { sha: fleetSha(prior), running: true, healthy: true },
      [active]: { sha: fleetSha(active), running: true, healthy: true },
    },
  };
}

const historySchema = lazySchema(() =>
  z.object({
    at: z.iso.datetime({ offset: true }),
    color: simpleNameSchema,
    sha: shaSchema.optional(),
    runId: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    actor: z.string().regex(/^\S+$/, "expected no whitespace").optional(),
  }),
);

const scenarioSchema = lazySchema(() =>
  z.object({
    active: simpleNameSchema,
    colors: z.record(
      simpleNameSchema,
      z.object({ sha: shaSchema, running: z.boolean(), healthy: z.boolean() }).nullable(),
    ),
    history: z.array(historySchema).optional(),
    artifacts: z.array(shaSchema).optional(),
    retention: z.number().int().min(1).optional(),
    migration: z
      .union([
        z.literal("unmanaged"),
        z.object({ version: z.number().int().min(0).nullable(), dirty: z.boolean() }),
      ])
      .optional(),
  }),
);

/** Validates a scenario against the topology: colors must be the topology's. */
export function parseScenario(topology: Topology, scenario: unknown): Result<FleetScenario, DriverError> {
  const parsed = parseInput(scenarioSchema, scenario, { driver: "mock-fleet", op: "createFleet" });
  if (parsed.isErr()) return err(parsed.error);
  const s = parsed.value;
  const colors: readonly string[] = topology.colors;
  const bad = [s.active, ...Object.keys(s.colors), ...(s.history ?? []).map((h) => h.color)].find(
    (c) => !colors.includes(c),
  );
  if (bad !== undefined) {
    return err(
      invalidInput(
        "mock-fleet",
        "createFleet",
        `color "${bad}" is not one of the topology's (${colors.join(", ")})`,
      ),
    );
  }
  return ok(s as FleetScenario);
}
