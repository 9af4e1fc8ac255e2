import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Fence } from "../ports/lease-lock";
import type { HistoryEntry, SwitchRequest, TrafficState } from "../ports/traffic-switch";
import { admitFence, fenceFileOf, formatFenceRecord, parseFenceRecord } from "./fence-record";
import type { RemoteFiles } from "./remote-files";
import { formatHistory, parseActiveColor, parseHistory } from "./state-files";

/** Where a traffic switch keeps the active color and its history. */
export interface TrafficStateFiles {
  /** The active-color file (one color and a newline). */
  readonly stateFile: string;
  /** The history file, newest first (one {@link formatHistoryLine} per switch). */
  readonly historyFile: string;
  /** How many history lines are kept. */
  readonly historyLimit: number;
}

/**
 * Reads and writes a switch's state files (the active color and its bounded history), and
 * fences writes: `<stateFile>.fence` records, per lease key, the newest token that changed
 * the switch (see {@link admitFence}).
 */
export interface TrafficStateStore {
  /** The active color and the history (newest first); `not_found` when the active-color file is missing. */
  read(op: string): ResultAsync<TrafficState, DriverError>;
  /**
   * Writes the color and prepends a line for the run; a run already at the head adds
   * nothing. `admitted` (e.g. the fence's admission) runs while the history is read:
   * nothing is written unless it succeeds.
   */
  record(
    request: SwitchRequest,
    op: string,
    admitted?: ResultAsync<void, DriverError>,
  ): ResultAsync<TrafficState, DriverError>;
  /** Overwrites both files exactly (the color first). */
  write(state: TrafficState, op: string): ResultAsync<void, DriverError>;
  /**
   * Admits a write under `fence` before it is made: `conflict` (fenced) when a newer token
   * of its key changed the switch; otherwise records the token (written only when it is new).
   */
  admit(fence: Fence, op: string): ResultAsync<void, DriverError>;
}

/** The state files of a switch for `driver`, through `files`. */
export function trafficStateStore(
  files: RemoteFiles,
  driver: string,
  colors: readonly string[],
  state: TrafficStateFiles,
  now: () => Date,
): TrafficStateStore {
  const { stateFile, historyFile, historyLimit } = state;
  const fenceFile = fenceFileOf(stateFile);
  const parseHistoryText = (text: string | null, op: string) =>
    parseHistory(text ?? "", { driver, op, path: historyFile });
  const history = (op: string) => files.read(historyFile, op).andThen((text) => parseHistoryText(text, op));
  // The color first, then the history: the history head is what marks a record as done.
  const write = (s: TrafficState, op: string) =>
    files
      .writeAtomic(stateFile, `${s.activeColor}\n`, op)
      .andThen(() => files.writeAtomic(historyFile, formatHistory(s.history), op));

  return {
    // Both files in one round trip (two reads at once); the color is judged first.
    read: (op) =>
      ResultAsync.combine([files.read(stateFile, op), files.read(historyFile, op)] as const).andThen(
        ([color, historyText]) =>
          color === null
            ? errAsync(
                files.fail(op, "not_found", `the active-color file ${stateFile} does not exist`, {
                  hint: `check which color ${driver} routes to, then write it to ${stateFile}`,
                  details: { path: stateFile },
                }),
              )
            : parseActiveColor(color, colors, { driver, op, path: stateFile }).andThen((activeColor) =>
                parseHistoryText(historyText, op).map((entries) => ({ activeColor, history: entries })),
              ),
      ),

    record: (r, op, admitted = okAsync(undefined)) =>
      ResultAsync.combine([admitted, history(op)] as const).andThen(([, previous]) => {
        const head = previous[0];
        if (head?.runId === r.runId && head.color === r.color) {
          // Already recorded by this run (a resumed run): only make sure the color is written.
          return files
            .read(stateFile, op)
            .andThen((color) =>
              color?.trim() === r.color
                ? okAsync(undefined)
                : files.writeAtomic(stateFile, `${r.color}\n`, op),
            )
            .map(() => ({ activeColor: r.color, history: previous }));
        }
        const entry: HistoryEntry = {
          at: now().toISOString(),
          color: r.color,
          ...(r.sha ? { sha: r.sha } : {}),
          runId: r.runId,
          actor: r.actor,
        };
        const next = { activeColor: r.color, history: [entry, ...previous].slice(0, historyLimit) };
        return write(next, op).map(() => next);
      }),

    write,

    admit: (fence, op) => {
      const source = { driver, op, path: fenceFile };
      return files
        .read(fenceFile, op)
        .andThen((text) => parseFenceRecord(text ?? "", source))
        .andThen((record) => admitFence(record, fence, source))
        .andThen((next) =>
          next === null ? okAsync(undefined) : files.writeAtomic(fenceFile, formatFenceRecord(next), op),
        );
    },
  };
}
