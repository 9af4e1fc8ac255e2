import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { ContainerHost } from "../src/ports/container-host";
import type { HealthProbe } from "../src/ports/health-probe";
import { vezaTopology } from "../src/presets/veza";
import { IDLE_COLOR_STEP_ID } from "../src/recipes/idle-color-check";
import { type StartOutput, startColorStep } from "../src/recipes/start-color-step";
import { stepContext } from "../src/testing/step-context";

const sha = "b".repeat(40);
const topology = vezaTopology("lab", { publicHealthUrl: "http://127.0.0.1:1/api/v1/health" });
const green = ["veza-lab-backend-green", "veza-lab-stream-green", "veza-lab-web-green"];

/** Containers that start, stop and carry `sha` as their release; `running` is their state now. */
function fakeHost(running: Set<string>) {
  const info = (name: string) => ({
    name,
    status: running.has(name) ? "Running" : "Stopped",
    statusCode: running.has(name) ? 103 : 102,
    running: running.has(name),
  });
  return {
    state: (name: string) => okAsync(info(name)),
    start: (name: string) => okAsync(void running.add(name)),
    stop: (name: string) => okAsync(void running.delete(name)),
    pullFile: () => okAsync(new TextEncoder().encode(`${sha}\n`)),
  } as unknown as ContainerHost;
}

function ctx(idleRunning: readonly string[] | undefined) {
  const idle = { color: "green", live: "blue", running: idleRunning };
  return stepContext({ runId: "r1", env: "lab", outputs: idleRunning ? { [IDLE_COLOR_STEP_ID]: idle } : {} });
}

describe("start-and-check re-run after an interrupted attempt", () => {
  it("a container the killed attempt stopped mid-restart counts as restarted, so undo leaves it running", async () => {
    // All green ran before the run; the killed attempt had stopped the web container.
    const running = new Set(green.slice(0, 2));
    const step = startColorStep(fakeHost(running), {} as HealthProbe, topology, "green", sha);
    const output = (await step.run(ctx(green)))._unsafeUnwrap() as StartOutput;
    expect(output).toEqual({ started: [], restarted: green });
    (await step.undo?.(ctx(green), output))?._unsafeUnwrap();
    expect([...running].sort()).toEqual([...green].sort());
  });

  it("a container stopped before the run is started, and stopped again on undo", async () => {
    const running = new Set(green.slice(0, 2));
    const step = startColorStep(fakeHost(running), {} as HealthProbe, topology, "green", sha);
    const output = (await step.run(ctx(green.slice(0, 2))))._unsafeUnwrap() as StartOutput;
    expect(output).toEqual({ started: [green[2]], restarted: green.slice(0, 2) });
    (await step.undo?.(ctx(green.slice(0, 2)), output))?._unsafeUnwrap();
    expect(running.has(green[2] as string)).toBe(false);
  });
});
