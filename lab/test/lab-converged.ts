import { join } from "node:path";
import {
  FileJournal,
  FileLeaseLock,
  type Journal,
  type LeaseLock,
  type RunError,
  type RunReport,
  resumeRun,
} from "@backflip/core";
import { planForIntent } from "@backflip/core/recipes";
import type { Result } from "neverthrow";
import { expect } from "vitest";
import type { LabDrivers } from "../src/lab-drivers";
import { LAB_HAPROXY } from "../src/lab-settings";

/** The lease owner's prefix the fault tests give the runs they start in-process. */
export const TEST_OWNER = "lab-faults";

/** What the public URL answers right now (one attempt), or `null`. */
export async function publicAnswer(
  d: LabDrivers,
): Promise<{ color: string; sha: string | null; status: string } | null> {
  const r = await d.probe.check({ url: d.topology.publicHealthUrl, attempts: 1 });
  return r.isOk()
    ? (JSON.parse(r.value.body) as { color: string; sha: string | null; status: string })
    : null;
}

/** `haproxy -c` on the live config, inside the HAProxy container (default `veza-lab-haproxy`): its exit code and output. */
export async function haproxyCheck(
  d: LabDrivers,
  container: string = LAB_HAPROXY.container,
): Promise<{ exitCode: number | null; output: string }> {
  const { configPath } = LAB_HAPROXY;
  const r = (await d.host.shell(container).run(["haproxy", "-c", "-f", configPath]))._unsafeUnwrap();
  return { exitCode: r.exitCode, output: `${r.stdout}${r.stderr}` };
}

/**
 * A lock on `lockDir` whose clock runs `aheadMs` ahead: to the test, a killed run's lease
 * has expired without waiting for it (the child's own clock is untouched).
 */
export function lockAhead(lockDir: string, aheadMs: number): FileLeaseLock {
  return new FileLeaseLock({ dir: lockDir, now: () => new Date(Date.now() + aheadMs) });
}

/** Resumes a killed run from `journal` (default: the one under `dir`), continue or revert, breaking its stale lease on request. */
export async function resumeOnLab(
  d: LabDrivers,
  dir: string,
  runId: string,
  mode: "continue" | "revert",
  lock: LeaseLock,
  journal: Journal = new FileJournal({ dir: join(dir, "journal") }),
): Promise<Result<RunReport, RunError>> {
  return await resumeRun(runId, {
    journal,
    lock,
    owner: TEST_OWNER,
    mode,
    breakStaleLock: true,
    rebuild: (intent) => planForIntent(d.topology, d, intent),
  });
}

/**
 * Asserts the lab converged: the live config passes `haproxy -c`; the live revision's
 * color, the state file and the history head agree; the public URL answers healthy from
 * that color with the history head's SHA; no lease is left on env `lab`. The live color.
 */
export async function expectConverged(d: LabDrivers, lock: LeaseLock): Promise<string> {
  const check = await haproxyCheck(d);
  expect(check.exitCode, check.output).toBe(0);
  const state = (await d.traffic.readState())._unsafeUnwrap();
  const live = (await d.traffic.liveRevision())._unsafeUnwrap();
  const head = state.history[0];
  expect(live?.split(":")[0]).toBe(state.activeColor);
  expect(head?.color).toBe(state.activeColor);
  const answer = await publicAnswer(d);
  expect(answer).toMatchObject({ status: "ok", color: state.activeColor });
  if (head?.sha) expect(answer?.sha).toBe(head.sha);
  expect((await lock.inspect(d.topology.env))._unsafeUnwrap()).toBeNull();
  return state.activeColor;
}
