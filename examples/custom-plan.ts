/**
 * Embedding Backflip: a plan of your own — a check and a change with its undo — run with
 * the file journal and the file lease lock. The README shows this file.
 *
 *   npx tsx examples/custom-plan.ts
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPlan, defineStep, FileJournal, FileLeaseLock, runPlan, stepError } from "@backflip/core";
import { errAsync, okAsync } from "neverthrow";
import { runIfMain } from "./lib/simulated";

/** Runs the two-step plan against `counter`; resolves to the final state of the run. */
export async function main(
  counter = { value: 1 },
  out: (line: string) => void = console.log,
): Promise<string> {
  const check = defineStep({
    id: "check-counter",
    title: "Counter is positive",
    kind: "check",
    describe: () => [{ kind: "note", text: "read the counter" }],
    run: () =>
      counter.value > 0
        ? okAsync({ value: counter.value })
        : errAsync(
            stepError("check-counter", "failed", "counter is not positive", { hint: "reset it first" }),
          ),
  });

  const double = defineStep({
    id: "double",
    title: "Double the counter",
    kind: "change",
    describe: () => [{ kind: "note", text: "double the counter in memory" }],
    run: () => {
      const before = counter.value;
      counter.value *= 2;
      return okAsync({ before });
    },
    undo: (_ctx, output) => {
      counter.value = output.before;
      return okAsync(undefined);
    },
  });

  const plan = createPlan({ path: "custom", env: "staging", actor: "alice", reason: "example" }, [
    check,
    double,
  ]);
  if (plan.isErr()) throw new Error(plan.error.message);
  out(plan.value.render()); // the dry run

  const dir = await mkdtemp(join(tmpdir(), "backflip-custom-"));
  const result = await runPlan(plan.value, {
    journal: new FileJournal({ dir: join(dir, "journal") }),
    lock: new FileLeaseLock({ dir: join(dir, "locks") }),
    onEvent: (e) => out(`${e.type}${"stepId" in e ? ` ${e.stepId}` : ""}`),
  });
  return result.match(
    (report) => {
      out(`succeeded in ${report.durationMs} ms; counter = ${counter.value}`);
      return report.state;
    },
    (error) => {
      out(`${error.kind}: ${error.message}${error.hint ? ` (next: ${error.hint})` : ""}`);
      return error.report?.state ?? error.kind;
    },
  );
}

runIfMain(import.meta.url, async (out) => (await main({ value: 1 }, out)) === "succeeded");
