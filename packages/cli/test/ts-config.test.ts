import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import { EXIT } from "../src/exit-codes";
import { backflip, stateDir } from "./test-support";

/** A stack config as a value: written as JSON and as TypeScript, both must load the same. */
const STACK = {
  env: "prod",
  stateDir: "state",
  target: {
    kind: "stack",
    topology: { publicHealthUrl: "https://veza.fr/api/v1/health" },
    incus: { socketPath: "/var/lib/incus/unix.socket" },
    haproxy: { container: "veza-prod-haproxy", servers: { backend: { blue: "10.0.0.11:8080" } } },
    forgejo: { baseUrl: "https://forgejo.example.org", tokenEnv: "FORGEJO_TOKEN", owner: "veza" },
  },
  coordination: { kind: "etcd", endpoints: ["http://10.0.0.5:2379"], prefix: "team-a" },
};

/** A TypeScript config exporting `body`, with the type-only import `backflip init --ts` writes. */
const tsModule = (body: string): string =>
  `import type { BackflipConfig } from "@backflip/cli";\n\nexport default ${body} satisfies BackflipConfig;\n`;

/** Writes `text` as `name` in a fresh folder; its path. */
async function written(name: string, text: string): Promise<string> {
  const path = join(await stateDir(), name);
  await writeFile(path, text);
  return path;
}

/** Runs `fn` with `dir` as the working directory (where `backflip` looks for its config). */
async function inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(before);
  }
}

describe("backflip.config.ts", () => {
  it("loads a .ts and a .mts config (its relative imports too) to the same config as the equivalent JSON", async () => {
    const json = await written("backflip.config.json", JSON.stringify(STACK));
    const ts = await written("backflip.config.ts", tsModule(JSON.stringify(STACK, null, 2)));
    const fromJson = (await loadConfig(json, "/"))._unsafeUnwrap();
    const fromTs = (await loadConfig(ts, "/"))._unsafeUnwrap();
    expect(fromTs?.config).toEqual(fromJson?.config);
    expect(fromTs?.config.target).toMatchObject({ kind: "stack", forgejo: { tokenEnv: "FORGEJO_TOKEN" } });

    const dir = await stateDir();
    await writeFile(join(dir, "team.ts"), 'export const prefix: string = "team-a";\n');
    const mts = join(dir, "prod.config.mts");
    await writeFile(
      mts,
      `import { prefix } from "./team.ts";\nexport default { env: "prod", coordination: { kind: "incus", prefix } };\n`,
    );
    expect((await loadConfig(mts, "/"))._unsafeUnwrap()?.config.coordination).toEqual({
      kind: "incus",
      prefix: "team-a",
    });
  });

  it("a simulated .ts config drives status like a JSON one: its env, its state under the config's folder", async () => {
    const path = await written("backflip.config.ts", tsModule('{ env: "prod", stateDir: "state" }'));
    const status = await backflip(["status", "--config", path, "--json"]);
    expect(status.code, status.stderr).toBe(EXIT.ok);
    expect(JSON.parse(status.stdout).facts.env).toBe("prod");
  });

  it("names the file, each bad key and what is expected, exits 2, and never echoes a value given as a variable name", async () => {
    const path = await written(
      "backflip.config.ts",
      tsModule(
        JSON.stringify({
          ...STACK,
          target: { ...STACK.target, forgejo: { ...STACK.target.forgejo, tokenEnv: "ghp_s3cr3t-t0ken" } },
          coordination: { kind: "etcd", endpoints: [] },
          colour: "blue",
        }),
      ).replace(" satisfies BackflipConfig", ""),
    );
    const bad = await backflip(["status", "--config", path]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain(`${path}: coordination.endpoints: expected at least one client URL`);
    expect(bad.stderr).toContain(`${path}: target.forgejo.tokenEnv: expected an environment variable name`);
    expect(bad.stderr).toContain(`${path}: Unrecognized key: "colour"`);
    expect(bad.stderr).not.toContain("s3cr3t");
  });

  it("a module that throws, has no default export or does not parse is an error naming the file (exit 2), never a stack", async () => {
    const cases = [
      [
        "throws.ts",
        'throw new Error("FORGEJO_TOKEN is not set");\nexport default {};\n',
        "cannot load it: FORGEJO_TOKEN is not set",
      ],
      ["named.ts", 'export const config = { env: "prod" };\n', "no default export (it exports config)"],
      ["broken.ts", 'export default { env: "prod",, };\n', "cannot load it: "],
      [
        "missing-import.ts",
        'import { x } from "./nowhere";\nexport default { env: x };\n',
        "cannot load it: ",
      ],
    ] as const;
    for (const [name, text, message] of cases) {
      const path = await written(name, text);
      const ran = await backflip(["status", "--config", path]);
      expect([name, ran.code]).toEqual([name, EXIT.usage]);
      expect(ran.stderr).toContain(`${path}: ${message}`);
      expect(ran.stderr).not.toMatch(/^\s+at /m);
    }
    const syntax = await backflip(["status", "--config", await written("s.ts", "export default {,}\n")]);
    expect(syntax.stderr).toMatch(/s\.ts: cannot load it: .*s\.ts:1:\d+/);
    const absent = await backflip(["status", "--config", join(await stateDir(), "absent.ts")]);
    expect([absent.code, absent.stderr]).toEqual([
      EXIT.usage,
      expect.stringContaining("absent.ts: cannot read it (ENOENT)"),
    ]);
  });

  it("with no --config: backflip.config.json, else backflip.config.ts; both there is an error naming both", async () => {
    const dir = await stateDir();
    expect((await loadConfig(undefined, dir))._unsafeUnwrap()).toBeNull();
    await writeFile(join(dir, "backflip.config.ts"), tsModule('{ env: "prod" }'));
    expect((await loadConfig(undefined, dir))._unsafeUnwrap()).toMatchObject({
      path: join(dir, "backflip.config.ts"),
      config: { env: "prod" },
    });
    await writeFile(join(dir, "backflip.config.json"), JSON.stringify({ env: "qa" }));
    // --config names one of them, relative to the working directory
    expect((await loadConfig("backflip.config.ts", dir))._unsafeUnwrap()?.config.env).toBe("prod");
    const both = (await loadConfig(undefined, dir))._unsafeUnwrapErr();
    expect(both).toContain(
      `${join(dir, "backflip.config.json")} and ${join(dir, "backflip.config.ts")} both exist`,
    );
    const status = await inDir(dir, () => backflip(["status"]));
    expect([status.code, status.stderr]).toEqual([EXIT.usage, expect.stringContaining("both exist")]);
  });
});

describe("backflip init --ts", () => {
  it("writes the commented starting config as TypeScript that loads to the same config as init's JSON", async () => {
    for (const stack of [[], ["--stack"]]) {
      const dir = await stateDir();
      const ts = join(dir, "backflip.config.ts");
      const json = join(dir, "c.json");
      expect((await backflip(["init", "--ts", "--env", "prod", ...stack, "--config", ts])).code).toBe(
        EXIT.ok,
      );
      expect((await backflip(["init", "--env", "prod", ...stack, "--config", json])).code).toBe(EXIT.ok);
      const text = await readFile(ts, "utf8");
      expect(text).toContain("} satisfies BackflipConfig;\n");
      expect(text).toMatch(/^\s*\/\/ where leases and the journal live/m);
      expect(text).not.toContain("$comment");
      const loaded = (await loadConfig(ts, "/"))._unsafeUnwrap()?.config;
      expect(loaded).toEqual((await loadConfig(json, "/"))._unsafeUnwrap()?.config);
    }
  });

  it("init --stack --ts: the commented database, snapshots and hostShell load once uncommented", async () => {
    const path = join(await stateDir(), "stack.mts");
    expect((await backflip(["init", "--stack", "--config", path])).code).toBe(EXIT.ok);
    const text = await readFile(path, "utf8");
    const examples = text.replace(/^(\s*)\/\/ ((database|snapshots|hostShell): \{|\s+\w+: |\},?$)/gm, "$1$2");
    expect(examples).not.toBe(text);
    await writeFile(path, examples);
    expect((await loadConfig(path, "/"))._unsafeUnwrap()?.config.target).toMatchObject({
      database: { container: "veza-staging-postgres", host: "/run/postgresql" },
      snapshots: { zfsCommand: ["sudo", "-n", "zfs"] },
      hostShell: { host: "10.0.0.2", knownHostsFile: "ssh/known_hosts" },
    });
  });

  it("refuses --ts with a JSON file name, and a default file beside the other one", async () => {
    const dir = await stateDir();
    const json = await backflip(["init", "--ts", "--config", join(dir, "c.json")]);
    expect([json.code, json.stderr]).toEqual([
      EXIT.usage,
      expect.stringContaining("is not a .ts or .mts file"),
    ]);
    expect((await inDir(dir, () => backflip(["init"]))).code).toBe(EXIT.ok);
    const beside = await inDir(dir, () => backflip(["init", "--ts", "--force"]));
    expect([beside.code, beside.stderr]).toEqual([
      EXIT.usage,
      expect.stringContaining(`${join(dir, "backflip.config.json")} exists`),
    ]);
  });
});
