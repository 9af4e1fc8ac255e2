import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installPackedCli, type PackedCli, runInstalled } from "./packed-cli";

/** Runs the installed `backflip` in `cwd`. */
const backflip = (cli: PackedCli, cwd: string, ...args: string[]) => runInstalled(cli, cwd, args);

describe("the packed @backflip/cli, installed with npm i -g into a fresh prefix", {
  timeout: 300_000,
}, () => {
  let cli: PackedCli;
  beforeAll(async () => {
    cli = await installPackedCli();
  }, 300_000);
  afterAll(() => rm(cli.dir, { recursive: true, force: true }));

  it("answers --help", async () => {
    const help = await backflip(cli, cli.dir, "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: backflip <command>");
    for (const command of [
      "status",
      "runs",
      "decide",
      "rollback",
      "resume",
      "postmortem",
      "lease",
      "snapshots",
      "init",
    ])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });

  it("shows the simulated fleet's status, rolls back and shows the flip, outside any workspace", async () => {
    const cwd = await mkdtemp(join(cli.dir, "operator-"));
    const before = await backflip(cli, cwd, "status");
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/active color green/);
    const flip = await backflip(cli, cwd, "rollback", "--mode", "fast", "--reason", "green 500s", "--yes");
    expect(flip.code).toBe(0);
    const after = await backflip(cli, cwd, "status", "--json");
    expect(JSON.parse(after.stdout).facts.activeColor).toBe("blue");
    const runs = await backflip(cli, cwd, "runs");
    expect(runs.stdout).toMatch(/fast-flip {2}by tester .* succeeded/);
    const runId = /^ {2}(\S+) {2}staging {2}fast-flip/m.exec(runs.stdout)?.[1] ?? "";
    const postmortem = await backflip(cli, cwd, "postmortem", runId);
    expect(postmortem.code, postmortem.stderr).toBe(0);
    expect(postmortem.stdout).toMatch(/### What changed\n\ngreen \([0-9a-f]{12}\) → blue \([0-9a-f]{12}\)/);
    const lease = await backflip(cli, cwd, "lease", "show");
    expect(lease.stdout).toContain("  staging: free");
  });

  it("exits 2 on bad usage, naming the flag", async () => {
    const bad = await backflip(cli, cli.dir, "rollback", "--mode", "sideways");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--mode");
  });
});
