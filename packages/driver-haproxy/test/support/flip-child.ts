/**
 * A flip run in its own process, to be killed mid-run: `tsx flip-child.ts '<json>'`.
 * Runs core's `trafficSwitchSteps` over the real driver with a file journal and lock;
 * when the run reaches `hangAt` (the driver's `reload` — i.e. right after `install` — or
 * its `record`), it writes `<marker>` and hangs there until the parent kills it.
 */
import { writeFileSync } from "node:fs";
import { createPlan, FileJournal, FileLeaseLock, runPlan, type TrafficSwitch } from "@backflip/core";
import { trafficSwitchSteps } from "@backflip/core/recipes";
import { ResultAsync } from "neverthrow";
import { createHaproxySwitch } from "../../src/index";
import { type LabPaths, labSwitchOptions } from "./lab";

/** What the parent passes. */
export interface FlipChildInput {
  readonly paths: LabPaths;
  readonly port: number;
  readonly serverPorts: { readonly blue: number; readonly green: number };
  readonly stateDir: string;
  readonly runId: string;
  readonly hangAt: "reload" | "record";
  readonly marker: string;
}

const input = JSON.parse(process.argv[2] ?? "{}") as FlipChildInput;
const { base } = labSwitchOptions(input.paths, { port: input.port, serverPorts: input.serverPorts });
const real = createHaproxySwitch(base)._unsafeUnwrap();
const hang = (): ResultAsync<never, never> => {
  writeFileSync(input.marker, "reached\n");
  return ResultAsync.fromSafePromise(new Promise<never>(() => {}));
};
const sw: TrafficSwitch = {
  ...real,
  readState: () => real.readState(),
  render: (r) => real.render(r),
  validate: (c) => real.validate(c),
  install: (c, f) => real.install(c, f),
  reload: (f) => (input.hangAt === "reload" ? hang() : real.reload(f)),
  liveRevision: () => real.liveRevision(),
  confirm: (r) => real.confirm(r),
  record: (r, f) => (input.hangAt === "record" ? hang() : real.record(r, f)),
  restorePrevious: (f) => real.restorePrevious(f),
  writeState: (s, f) => real.writeState(s, f),
};
const plan = createPlan(
  { path: "custom", env: "lab", from: "blue", to: "green", actor: "resume-test", reason: "kill mid-flip" },
  trafficSwitchSteps(sw, { color: "green", actor: "resume-test" }),
)._unsafeUnwrap();
await runPlan(plan, {
  journal: new FileJournal({ dir: `${input.stateDir}/journal` }),
  lock: new FileLeaseLock({ dir: `${input.stateDir}/locks` }),
  runId: input.runId,
  lockTtlMs: 1000,
});
process.exit(3);
