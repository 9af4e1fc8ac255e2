import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FileLeaseLock, type RunErrorKind } from "@backflip/core";
import { snapshotFleet } from "@backflip/driver-mock";
import { describe, expect, it } from "vitest";
import { EXIT, EXIT_CODES_HELP, exitForRunError } from "../src/exit-codes";
import { FLEET_FILE, freshIncidentFleet } from "../src/simulated-target";
import { backflipIn, stateDir } from "./test-support";

describe("backflip's exit codes (as --help and the README list them)", () => {
  it("--help lists every code", () => {
    for (const code of Object.values(EXIT)) expect(EXIT_CODES_HELP).toMatch(new RegExp(`^  ${code}  `, "m"));
  });

  it("0: a read-only command answered, and a run that succeeded", async () => {
    const dir = await stateDir();
    expect((await backflipIn(dir, ["status"])).code).toBe(EXIT.ok);
    expect((await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "green 500s"])).code).toBe(
      EXIT.ok,
    );
  });

  it("1: a run that failed and was reverted (flipping back onto the bad color, after a warning)", async () => {
    const dir = await stateDir();
    await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "green 500s"]);
    const back = await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "oops"]);
    expect(back.stderr).toMatch(/warning: the last run \(\S+ by \S+, .*\) rolled staging away from green/);
    expect(back.code).toBe(EXIT.failed);
  });

  it("0: on a terminal, rollback shows the plan and asks first; a no changes nothing", async () => {
    const dir = await stateDir();
    const asked: string[] = [];
    const no = await backflipIn(
      dir,
      ["rollback", "--mode", "fast", "--reason", "green 500s"],
      async (question) => {
        asked.push(question);
        return false;
      },
    );
    expect(no.code).toBe(EXIT.ok);
    expect(asked).toEqual(["Run this plan?"]);
    expect(no.stdout.split("\n")).toContain("nothing was changed.");
    const status = await backflipIn(dir, ["status", "--json"]);
    expect(JSON.parse(status.stdout).facts.activeColor).toBe("green");
  });

  it("2: bad usage, naming the flag", async () => {
    const bad = await backflipIn(await stateDir(), [
      "rollback",
      "--mode",
      "fast",
      "--target-color",
      "purple",
      "--reason",
      "x",
    ]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/^error: --target-color: /m);
  });

  it("3: refused by a pre-check, naming the path to use", async () => {
    const dir = await stateDir();
    const fleet = freshIncidentFleet("staging");
    fleet.world.setStatus("veza-staging-web-blue", "Stopped");
    await writeFile(join(dir, FLEET_FILE), JSON.stringify(snapshotFleet(fleet)._unsafeUnwrap()));
    const refused = await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "x"]);
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.stderr).toMatch(/Path 2/);
  });

  it("4: the environment's lock is held, naming its owner", async () => {
    const dir = await stateDir();
    const lock = new FileLeaseLock({ dir: join(dir, "locks") });
    (await lock.acquire("staging", { owner: "bob on another terminal", ttlMs: 120_000 }))._unsafeUnwrap();
    const held = await backflipIn(dir, ["rollback", "--mode", "fast", "--reason", "x"]);
    expect(held.code).toBe(EXIT.locked);
    expect(held.stderr).toContain("bob on another terminal");
  });

  it("5, 6: a failed revert and an unfinished run map from the run's error", () => {
    expect(exitForRunError("revert_failed")).toBe(EXIT.revertFailed);
    expect(exitForRunError("journal_failed")).toBe(EXIT.interrupted);
    const kinds: RunErrorKind[] = [
      "invalid_input",
      "lock_held",
      "needs_acknowledgement",
      "refused",
      "reverted",
      "revert_failed",
      "aborted",
      "journal_failed",
      "not_found",
    ];
    for (const kind of kinds) expect(Object.values(EXIT)).toContain(exitForRunError(kind));
  });

  it("7: the target cannot be reached (an etcd store nobody listens on)", async () => {
    const down = await backflipIn(await stateDir(), [
      "runs",
      "--coordination",
      "etcd",
      "--etcd-endpoints",
      "http://127.0.0.1:9",
    ]);
    expect(down.code).toBe(EXIT.unavailable);
  });
});
