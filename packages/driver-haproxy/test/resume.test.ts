import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPlan, FileJournal, FileLeaseLock, resumeRun } from "@backflip/core";
import { trafficSwitchSteps } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { FlipChildInput } from "./support/flip-child";
import { haproxyReady, type Lab, startLab } from "./support/lab";

// Ports: frontend 18450; HTTP servers 18451-18452.
const skip = skipUnlessBackend(haproxyReady, "haproxy", "scripts/backends up haproxy");
const child = fileURLToPath(new URL("./support/flip-child.ts", import.meta.url));
const root = fileURLToPath(new URL("../../..", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)("a flip killed between install and record is recovered by resume", () => {
  let lab: Lab | undefined;
  let stateDir: string | undefined;
  afterEach(async () => {
    await lab?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    lab = undefined;
  });

  for (const hangAt of ["reload", "record"] as const) {
    it(`killed at ${hangAt === "reload" ? "the reload right after install" : "record"}: resume finishes the flip exactly once`, async () => {
      const serverPorts = { blue: 18451, green: 18452 };
      lab = await startLab({ port: 18450, serverPorts, httpServers: true });
      stateDir = await mkdtemp(join(tmpdir(), "backflip-haproxy-resume-"));
      const bootstrap = await lab.read(lab.paths.configPath);
      const runId = `resume-${hangAt}-${process.pid}`;
      const input: FlipChildInput = {
        paths: lab.paths,
        port: 18450,
        serverPorts,
        stateDir,
        runId,
        hangAt,
        marker: join(stateDir, "reached"),
      };
      const proc = spawn(process.execPath, ["--import", "tsx", child, JSON.stringify(input)], {
        cwd: root,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      proc.stderr?.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      const exited = new Promise((r) => proc.once("exit", r));
      for (let i = 0; !existsSync(input.marker); i++) {
        if (i > 1500 || proc.exitCode !== null)
          throw new Error(`the flip never reached ${hangAt}: ${stderr}`);
        await sleep(20);
      }
      proc.kill("SIGKILL");
      await exited;

      // The kill left the new config installed (and, at record, live) but not recorded.
      expect(await lab.read(lab.paths.configPath)).not.toBe(bootstrap);
      expect(await lab.read(lab.paths.stateFile)).toBe("blue\n");
      expect(await lab.get()).toBe(hangAt === "reload" ? "200 blue" : "200 green");

      await sleep(1200); // the killed run's 1 s lease expires
      const sw = lab.sw;
      const report = await resumeRun(runId, {
        journal: new FileJournal({ dir: join(stateDir, "journal") }),
        lock: new FileLeaseLock({ dir: join(stateDir, "locks") }),
        rebuild: (intent) =>
          createPlan(intent, trafficSwitchSteps(sw, { color: "green", actor: "resume-test" })),
        breakStaleLock: true,
      });
      expect(report._unsafeUnwrap().state).toBe("succeeded");

      expect(await lab.get()).toBe("200 green");
      const live = (await sw.liveRevision())._unsafeUnwrap();
      expect(live).toBe(`green:-:${runId}`);
      expect(await lab.read(`${lab.paths.configPath}.prev`)).toBe(bootstrap);
      expect(await lab.read(lab.paths.stateFile)).toBe("green\n");
      const history = (await sw.readState())._unsafeUnwrap().history;
      expect(history.filter((e) => e.runId === runId)).toHaveLength(1);
      expect(history[0]).toMatchObject({ color: "green", runId, actor: "resume-test" });
    });
  }
});
