import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type DriverError,
  FileJournal,
  FileLeaseLock,
  type RollbackPlan,
  type RunError,
  type RunEvent,
  type RunReport,
  runPlan,
} from "@backflip/core";
import { type Decision, postIncident } from "@backflip/core/recipes";
import { backendEnv } from "@backflip/core/testing";
import type { Result, ResultAsync } from "neverthrow";
import { type LabPath3Drivers, labPath3Drivers } from "../src/lab-data-drivers";
import type { LabDrivers } from "../src/lab-drivers";
import { LAB_HAPROXY, labApps, labTopology } from "../src/lab-settings";
import { LAB_SITE } from "../src/lab-site";
import { labUp } from "../src/lab-up";

/**
 * Whether the real backends the lab needs were brought up (`scripts/backends up incus
 * haproxy`; `incus-cluster` instead of `incus` for the cluster lab).
 */
export const labBackendsUp = backendEnv(LAB_SITE.incusBackend) !== null && backendEnv("haproxy") !== null;

/** A run on the lab: its result, every event, and the postmortem entry written for it. */
export interface LabRun {
  readonly result: Result<RunReport, RunError>;
  readonly events: RunEvent[];
  readonly postmortem: string;
}

/** A scratch directory for one test file's journals, locks and postmortems. */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), "backflip-lab-e2e-"));
}

/** Unwraps a planning result, failing the test with the driver's message. */
export async function planned(plan: ResultAsync<RollbackPlan, DriverError>): Promise<RollbackPlan> {
  const r = await plan;
  if (r.isErr()) throw new Error(`planning failed: ${r.error.message} (${r.error.hint ?? "-"})`);
  return r.value;
}

/** Runs a plan with a file journal and lock under `dir`, then appends its postmortem to `dir/POSTMORTEMS.md` (checked). */
export async function runOnLab(
  d: LabDrivers,
  dir: string,
  plan: RollbackPlan,
  extra: { whyFailed?: string; acknowledgeDataLoss?: boolean; decision?: Decision } = {},
): Promise<LabRun> {
  const events: RunEvent[] = [];
  const result = await runPlan(plan, {
    journal: new FileJournal({ dir: join(dir, "journal") }),
    lock: new FileLeaseLock({ dir: join(dir, "locks") }),
    owner: "lab-e2e",
    onEvent: (e) => events.push(e),
    ...(extra.acknowledgeDataLoss ? { acknowledgeDataLoss: true } : {}),
  });
  const entry = await postIncident({
    events,
    whyFailed: extra.whyFailed ?? "exercised by the lab's end-to-end tests",
    ...(extra.decision ? { decision: extra.decision } : {}),
    host: d.host,
    topology: d.topology,
    path: join(dir, "POSTMORTEMS.md"),
  });
  if (entry.isErr()) throw new Error(`postmortem failed: ${entry.error.message}`);
  const runId = result.isOk() ? result.value.runId : result.error.runId;
  if (runId && !readFileSync(join(dir, "POSTMORTEMS.md"), "utf8").includes(runId))
    throw new Error(`POSTMORTEMS.md has no entry for run ${runId}`);
  return { result, events, postmortem: entry.value.markdown };
}

/** Brings the lab up again when a test removed some of its containers (cleanup does). */
export async function ensureLabContainers(d: LabDrivers): Promise<void> {
  const t = labTopology();
  const wanted = [...labApps(t).map((a) => a.name), LAB_HAPROXY.container];
  const listed = await d.host.list({ pattern: "veza-lab-*" });
  const have = listed.isOk() ? listed.value.map((i) => i.name) : [];
  if (wanted.every((n) => have.includes(n))) return;
  await (await upLab()).host.close();
}

/** `pnpm lab up`, and the lab's drivers; a lab that cannot come up fails the test file, saying why. */
export async function upLab(): Promise<LabDrivers> {
  const up = await labUp();
  if (up.isErr()) throw new Error(`lab up failed: ${up.error.message} (${up.error.hint ?? "-"})`);
  return up.value;
}

/** `pnpm lab up` (its own Incus client closed), then the lab's drivers with Path 3's. */
export async function upWithPath3Drivers(): Promise<LabPath3Drivers> {
  await (await upLab()).host.close();
  return (await labPath3Drivers())._unsafeUnwrap();
}
