import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes";
import { backflipIn, stateDir } from "./test-support";

describe("rollback --mode emergency: Path 3, one action per run, on the simulated target", () => {
  it("runs the action --action names, as its own command does; plan shows its dry run", async () => {
    const dir = await stateDir();
    const sql = join(dir, "inverse.sql");
    await writeFile(sql, "SELECT 1;\n");
    const inverse = ["--mode", "emergency", "--action", "inverse-sql", "--file", sql, "--reason", "m42"];
    const planned = await backflipIn(dir, ["plan", ...inverse]);
    expect([planned.code, planned.stdout]).toEqual([EXIT.ok, expect.stringContaining("nothing was changed")]);
    expect((await backflipIn(dir, ["runs"])).stdout).not.toMatch(/inverse-sql/);
    const ran = await backflipIn(dir, ["rollback", ...inverse]);
    expect(ran.code, ran.stderr).toBe(EXIT.ok);
    expect((await backflipIn(dir, ["runs"])).stdout).toMatch(/staging {2}inverse-sql {2}.* succeeded/);

    const snapshot = /pre-deploy-[0-9a-f]+/.exec((await backflipIn(dir, ["snapshots"])).stdout)?.[0] ?? "";
    const restore = [
      "--action",
      "restore-snapshot",
      "--container",
      "veza-staging-postgres",
      "--snapshot",
      snapshot,
    ];
    const dry = await backflipIn(dir, [
      "plan",
      "--mode",
      "emergency",
      ...restore,
      "--yes",
      "--acknowledge-data-loss",
    ]);
    expect([dry.code, dry.stdout]).toEqual([EXIT.ok, expect.stringContaining("nothing was changed")]);
    expect((await backflipIn(dir, ["runs"])).stdout).not.toMatch(/restore-snapshot/);
  });

  it("exits 2 naming the flag: no --action, an unknown one, another action's option, an emergency option with fast", async () => {
    const dir = await stateDir();
    const cases: [string[], string][] = [
      [["rollback", "--mode", "emergency"], "--action: required with --mode emergency"],
      [
        ["rollback", "--mode", "emergency", "--action", "reboot"],
        '--action: expected one of push-artifact, inverse-sql, restore-snapshot, not "reboot"',
      ],
      [["plan", "--mode", "emergency", "--action", "toString"], 'not "toString"'],
      [
        ["rollback", "--mode", "emergency", "--action", "inverse-sql", "--file", "x.sql", "--snapshot", "s"],
        "--snapshot: not an option of --mode emergency --action inverse-sql",
      ],
      [
        [
          "rollback",
          "--mode",
          "emergency",
          "--action",
          "inverse-sql",
          "--file",
          "x.sql",
          "--target-color",
          "blue",
        ],
        "--target-color: not an option of --mode emergency --action inverse-sql",
      ],
      [["rollback", "--mode", "fast", "--file", "x.sql"], "--file: only with --mode emergency"],
      [["plan", "--mode", "sideways"], "--mode: expected fast, full or emergency"],
    ];
    for (const [argv, message] of cases) {
      const ran = await backflipIn(dir, argv);
      expect([ran.code, ran.stderr], argv.join(" ")).toEqual([EXIT.usage, expect.stringContaining(message)]);
    }
    expect((await backflipIn(dir, ["runs"])).stdout).not.toMatch(/succeeded|failed/);
  });
});
