import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { actorSchema, runIdSchema } from "../driver-kit/kit-schemas";
import type { DriverError } from "../errors/driver-error";
import { driverError } from "../errors/driver-error";
import { readRegularFile } from "../fs/read-regular-file";
import { writeFileAtomic } from "../fs/write-file-atomic";
import { lazySchema } from "../validate/lazy-schema";
import { parseInput } from "../validate/parse-input";
import { simpleNameSchema } from "../validate/schemas";

/** One edge a degraded fleet flip left behind. */
export interface LaggingEdge {
  /** The edge's name in the topology's `traffic.edges`. */
  readonly edge: string;
  /** Why it could not follow (the driver's message). */
  readonly why: string;
}

/**
 * Left by a fleet flip run with `allowDegraded` when some edges could not follow: the
 * fleet is split on purpose, and `observe` reports it until {@link clearDegraded}.
 */
export interface DegradedMarker {
  /** The run that left it. */
  readonly runId: string;
  /** ISO-8601 time it was left. */
  readonly at: string;
  /** The color the rest of the fleet went to. */
  readonly color: string;
  /** The edges still on another color. */
  readonly lagging: readonly LaggingEdge[];
  /** Who ran the flip. */
  readonly actor: string;
}

/** The zod schema of a {@link DegradedMarker}. */
export const degradedMarkerSchema: z.ZodType<DegradedMarker> = lazySchema(() =>
  z
    .object({
      runId: runIdSchema,
      at: z.iso.datetime({ offset: true }),
      color: simpleNameSchema,
      lagging: z.array(z.object({ edge: simpleNameSchema, why: z.string().max(2000) }).strict()).min(1),
      actor: actorSchema,
    })
    .strict(),
);

/** Where a fleet keeps its {@link DegradedMarker}: one marker at most. */
export interface DegradedMarkerStore {
  /** The marker, or `null` when the fleet is not degraded. */
  read(): ResultAsync<DegradedMarker | null, DriverError>;
  /** Leaves (or replaces) the marker. */
  write(marker: DegradedMarker): ResultAsync<void, DriverError>;
  /** Removes the marker (no marker: nothing to do). */
  clear(): ResultAsync<void, DriverError>;
}

/** A {@link DegradedMarkerStore} in memory, for tests and the simulated fleet. */
export function memoryDegradedMarker(): DegradedMarkerStore {
  let current: DegradedMarker | null = null;
  return {
    read: () => okAsync(current),
    write: (marker) => {
      current = marker;
      return okAsync(undefined);
    },
    clear: () => {
      current = null;
      return okAsync(undefined);
    },
  };
}

const DRIVER = "fleet-marker";
const MAX_MARKER_BYTES = 64 * 1024;

/**
 * A {@link DegradedMarkerStore} in one JSON file on the machine running the flips (beside
 * the journal): written atomically; an empty file or none means not degraded.
 */
export function fileDegradedMarker(path: string): DegradedMarkerStore {
  const write = (text: string) => writeFileAtomic(path, text, DRIVER);
  return {
    read: () =>
      readRegularFile(path, MAX_MARKER_BYTES)
        .map((text): string | null => text)
        .orElse((refusal) =>
          refusal.reason === "not_found"
            ? okAsync<string | null, DriverError>(null)
            : errAsync(
                driverError({
                  driver: DRIVER,
                  op: "read",
                  reason: refusal.reason,
                  message: `cannot read the degraded marker ${path}: ${refusal.message}`,
                  hint: "fix or remove the marker file, then observe the fleet again",
                }),
              ),
        )
        .andThen((text) => {
          if (text === null || text.trim() === "") return okAsync(null);
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          return parseInput(degradedMarkerSchema, json, {
            driver: DRIVER,
            op: "read",
            hint: `the marker ${path} is not one Backflip wrote: check the fleet, then remove it`,
          }).asyncAndThen((m) => okAsync<DegradedMarker | null, DriverError>(m));
        }),
    write: (marker) => write(`${JSON.stringify(marker)}\n`),
    clear: () => write(""),
  };
}
