import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configFlags, parseConfig } from "../src/config";
import { EXIT } from "../src/exit-codes";
import { backflip, stateDir } from "./test-support";

describe("backflip.config.json", () => {
  it("names the file, the key and what is expected for each bad key", () => {
    const parsed = parseConfig(
      "/etc/backflip.config.json",
      JSON.stringify({ env: "Prod!", coordination: { kind: "etcd", endpoints: [] }, colour: "blue" }),
    );
    expect(parsed.isErr()).toBe(true);
    const message = parsed._unsafeUnwrapErr();
    expect(message).toMatch(/\/etc\/backflip\.config\.json: env: /);
    expect(message).toMatch(
      /\/etc\/backflip\.config\.json: coordination\.endpoints: expected at least one client URL/,
    );
    expect(message).toMatch(/\/etc\/backflip\.config\.json: Unrecognized key: "colour"/);
  });

  it("says when a file is not JSON, and ignores $comment keys at every level", () => {
    expect(parseConfig("c.json", "{ env: staging }")._unsafeUnwrapErr()).toMatch(/^c\.json: not JSON/);
    const parsed = parseConfig(
      "/srv/c.json",
      JSON.stringify({ $comment: "x", stateDir: "state", coordination: { $comment: ["y"], kind: "incus" } }),
    );
    expect(configFlags({ path: "/srv/c.json", config: parsed._unsafeUnwrap() })).toEqual({
      target: "simulated",
      "state-dir": "/srv/state",
      coordination: "incus",
      "coordination-prefix": "backflip",
    });
  });

  it("init writes a commented config the other commands then read; it never overwrites without --force", async () => {
    const dir = await stateDir();
    const path = join(dir, "backflip.config.json");
    expect((await backflip(["init", "--env", "prod", "--config", path])).code).toBe(EXIT.ok);
    const text = await readFile(path, "utf8");
    expect(text).toContain('"$comment"');
    expect(parseConfig(path, text)._unsafeUnwrap()).toMatchObject({
      env: "prod",
      target: { kind: "simulated" },
    });

    const again = await backflip(["init", "--config", path]);
    expect(again.code).toBe(EXIT.usage);
    expect(again.stderr).toContain(`cannot write ${path}: it exists`);
    expect((await backflip(["init", "--stack", "--config", path, "--force"])).code).toBe(EXIT.ok);
    expect(parseConfig(path, await readFile(path, "utf8"))._unsafeUnwrap().target.kind).toBe("stack");

    // the simulated config: status runs on env prod, its state under the config's folder
    await writeFile(path, JSON.stringify({ env: "prod", stateDir: "state" }));
    const status = await backflip(["status", "--config", path, "--json"]);
    expect(status.code).toBe(EXIT.ok);
    const report = JSON.parse(status.stdout);
    expect(report.facts.env).toBe("prod");
    expect(report.coordination.kind).toBe("file");
    // a flag wins over the config
    const staging = await backflip(["status", "--config", path, "--env", "staging", "--json"]);
    expect(JSON.parse(staging.stdout).facts.env).toBe("staging");
  });

  it("init --stack writes database, snapshots and hostShell as a commented example that parses once moved in", async () => {
    const path = join(await stateDir(), "backflip.config.json");
    expect((await backflip(["init", "--stack", "--env", "prod", "--config", path])).code).toBe(EXIT.ok);
    const text = await readFile(path, "utf8");
    const written = parseConfig(path, text)._unsafeUnwrap().target;
    expect(written).toMatchObject({ kind: "stack" });
    expect(written).not.toHaveProperty("database");
    const json = JSON.parse(text) as { target: { $comment: unknown[] } };
    const examples = json.target.$comment.find((line) => typeof line === "object");
    expect(Object.keys(examples ?? {})).toEqual(["database", "snapshots", "hostShell"]);
    const pasted = { ...json, target: { ...json.target, ...examples } };
    expect(parseConfig(path, JSON.stringify(pasted))._unsafeUnwrap().target).toMatchObject({
      database: { container: "veza-postgres", host: "/run/postgresql" },
      snapshots: { zfsCommand: ["sudo", "-n", "zfs"] },
      hostShell: { host: "10.0.0.2", user: "backflip" },
    });
  });

  it("a bad config exits 2 naming the file and the key; a missing --config file too", async () => {
    const dir = await stateDir();
    const path = join(dir, "backflip.config.json");
    await writeFile(path, JSON.stringify({ target: { kind: "kubernetes" } }));
    const bad = await backflip(["status", "--config", path]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain(`${path}: target.kind: expected kind simulated or stack`);

    const missing = await backflip(["status", "--config", join(dir, "nope.json")]);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain(`${join(dir, "nope.json")}: cannot read it (ENOENT)`);
  });

  it("a stack config's driver refusal names the file and the section, before anything is contacted", async () => {
    const dir = await stateDir();
    const path = join(dir, "backflip.config.json");
    await writeFile(
      path,
      JSON.stringify({
        stateDir: "state",
        target: {
          kind: "stack",
          haproxy: { container: "veza-staging-haproxy", configPath: "relative.cfg", servers: {} },
        },
      }),
    );
    const status = await backflip(["status", "--config", path]);
    expect(status.code).toBe(EXIT.usage);
    expect(status.stderr).toContain(`${path}: target.haproxy: `);
    expect(status.stderr).toContain("configPath");
  });

  it("a stack's database, snapshots and host shell: snapshots need the host shell, secrets only by variable name", () => {
    const stack = { kind: "stack", haproxy: { container: "veza-staging-haproxy" } };
    const message = parseConfig(
      "/srv/b.json",
      JSON.stringify({
        target: {
          ...stack,
          database: { host: "/run/postgresql", password: "hunter2" },
          snapshots: {},
        },
      }),
    )._unsafeUnwrapErr();
    expect(message).toContain('/srv/b.json: target.database: Unrecognized key: "password"');
    expect(message).not.toContain("hunter2");
    const withoutShell = parseConfig("/srv/b.json", JSON.stringify({ target: { ...stack, snapshots: {} } }));
    expect(withoutShell._unsafeUnwrapErr()).toBe(
      "/srv/b.json: target.snapshots: needs target.hostShell: zfs runs on the container host over SSH",
    );
    const hostShell = { host: "10.0.0.2", user: "root", privateKeyPath: "id_ed25519", knownHostsFile: "kh" };
    expect(
      parseConfig(
        "/srv/b.json",
        JSON.stringify({ target: { ...stack, database: {}, snapshots: {}, hostShell } }),
      ).isOk(),
    ).toBe(true);
  });

  it("every config in the README parses", async () => {
    const readme = await readFile(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    const configs = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const text of configs) {
      const parsed = parseConfig("README.md", text);
      expect(parsed.isErr() ? parsed.error : "valid").toBe("valid");
    }
  });
});
