import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { vezaHaproxy, vezaTopology } from "@backflip/core/recipes";
import * as z from "zod";
import { globalSchema } from "../cli-args";
import { type Command, GLOBAL_HELP, validateOrFail } from "../command";
import { CONFIG_FILE, CONFIG_FILE_TS, fileExists, isTsConfigPath } from "../config";
import { EXIT, EXIT_CODES_HELP } from "../exit-codes";
import { fail } from "../output";
import { tsConfigText } from "../ts-config-text";
import { described } from "./table";

const schema = globalSchema.extend({
  force: z.boolean().default(false),
  stack: z.boolean().default(false),
  ts: z.boolean().default(false),
});

/**
 * The stack's optional data drivers (Path 2's migration caveat, Path 3's commands) for a
 * `$comment`: what each does, then an example object whose keys move into `target` as they stand.
 */
function dataDriverExamples(env: string): (string | object)[] {
  return [
    "optional: database, snapshots and hostShell let status read the schema version, full mode carry the",
    "migration caveat, and inverse-sql, snapshots and restore-snapshot act. To use them, move the keys",
    "below into target as they stand (snapshots needs hostShell):",
    "database: psql inside the database's container through Incus, as the topology's database user (no password);",
    "snapshots: zfs on the container host over hostShell, on topology.snapshots.datasetPattern's datasets;",
    "hostShell: SSH to the container host with a key file, the host key always checked (a passphrase only by passphraseEnv).",
    {
      database: { container: vezaTopology(env).database.container, host: "/run/postgresql" },
      snapshots: { zfsCommand: ["sudo", "-n", "zfs"] },
      hostShell: {
        host: "10.0.0.2",
        user: "backflip",
        privateKeyPath: "ssh/id_ed25519",
        knownHostsFile: "ssh/known_hosts",
      },
    },
  ];
}

/**
 * A starting config for `env`: the simulated fleet, or (`stack`) the real drivers to fill
 * in. Every section explains itself in `$comment` (written as `//` comments in TypeScript).
 */
export function starterConfig(env: string, stack: boolean, format: "json" | "ts"): Record<string, unknown> {
  const haproxy = vezaHaproxy(env);
  return {
    $comment: [
      "backflip's config: the stack the runbook runs on. Flags win over it (--env, --target, ...).",
      format === "json"
        ? "$comment keys are ignored at every level. Paths are relative to this file's folder."
        : "Paths are relative to this file's folder. The type import below is erased when backflip loads this file.",
    ],
    env,
    stateDir: ".backflip",
    target: stack
      ? {
          $comment: [
            "kind stack: Incus containers, HAProxy inside its container, HTTP probes, Forgejo's registry.",
            "topology: overrides of the Veza preset (containers.pattern, traffic.stateFile, publicHealthUrl, ...).",
            "haproxy: driver-haproxy's options; servers maps component -> color -> address.",
            "forgejo.tokenEnv names the variable holding the token: never put the token here.",
            ...dataDriverExamples(env),
          ],
          kind: "stack",
          topology: {},
          incus: { socketPath: "/var/lib/incus/unix.socket" },
          haproxy: {
            container: haproxy.container,
            configPath: haproxy.configPath,
            servers: {
              backend: { blue: "10.0.0.11:8080", green: "10.0.0.21:8080" },
              stream: { blue: "10.0.0.12:8081", green: "10.0.0.22:8081" },
              web: { blue: "10.0.0.13:80", green: "10.0.0.23:80" },
            },
            routes: { backend: "/api/", stream: "/stream/" },
          },
          forgejo: { baseUrl: "https://forgejo.example.org", tokenEnv: "FORGEJO_TOKEN", owner: "veza" },
        }
      : {
          $comment:
            "kind simulated: a simulated Veza fleet kept in <stateDir>/fleet.json; kind stack: your real stack (backflip init --stack).",
          kind: "simulated",
        },
    coordination: {
      $comment: [
        "where leases and the journal live. file: <stateDir>, this machine only;",
        'incus: {"kind": "incus", "prefix": "backflip"}, anchor instances on the local Incus, shared;',
        'etcd: {"kind": "etcd", "endpoints": ["http://10.0.0.5:2379"], "prefix": "backflip"}, shared.',
      ],
      kind: "file",
    },
  };
}

/**
 * `backflip init`: writes a commented starting `backflip.config.json`, or with `--ts` (or a
 * `.ts`/`.mts` `--config`) the same config as `backflip.config.ts` — never over an existing
 * file without `--force`, never beside the working directory's other config file.
 */
export const initCommand: Command = {
  ...described("init"),
  positionals: 0,
  ignoresConfig: true,
  options: { force: { type: "boolean" }, stack: { type: "boolean" }, ts: { type: "boolean" } },
  help: `Usage: %prog init [--stack] [--ts] [--config FILE] [--force]

Writes a starting config to FILE (default ./${CONFIG_FILE}, or ./${CONFIG_FILE_TS} with
--ts): the environment, the state directory, the target and the coordination store, each
section explained in a "$comment" (in TypeScript, a // comment). Every other command reads
it from the working directory (or --config).

Options:
  --stack     describe a real stack (Incus, HAProxy, Forgejo) instead of the simulated fleet,
              with the database, snapshots and host shell of Paths 2 and 3 as commented examples
  --ts        write TypeScript: \`export default { ... } satisfies BackflipConfig\` (a FILE
              ending in .ts or .mts is written so without --ts)
  --force     overwrite FILE if it exists

${GLOBAL_HELP}

Examples:
  %prog init
  %prog init --stack --env prod --config /etc/backflip/prod.json
  %prog init --stack --ts

${EXIT_CODES_HELP}`,
  async run(raw, out) {
    const args = validateOrFail(out, "init", schema, raw.values);
    if (!args) return EXIT.usage;
    if (args.ts && args.config !== undefined && !isTsConfigPath(args.config))
      return fail(out, EXIT.usage, {
        message: `--ts writes TypeScript, and --config ${args.config} is not a .ts or .mts file`,
        hint: "name a .ts file, or leave --ts out to write JSON",
        reason: "usage",
      });
    const ts = args.ts || (args.config !== undefined && isTsConfigPath(args.config));
    const path = args.config ?? resolve(ts ? CONFIG_FILE_TS : CONFIG_FILE);
    const other = resolve(ts ? CONFIG_FILE : CONFIG_FILE_TS);
    if (args.config === undefined && (await fileExists(other)))
      return fail(out, EXIT.usage, {
        message: `${other} exists: with both, every command refuses to guess which one to read`,
        hint: "remove it first, or --config another file",
        reason: "usage",
      });
    const config = starterConfig(args.env ?? "staging", args.stack, ts ? "ts" : "json");
    const text = ts ? tsConfigText(config) : `${JSON.stringify(config, null, 2)}\n`;
    try {
      await writeFile(path, text, { flag: args.force ? "w" : "wx", mode: 0o644 });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      return fail(out, EXIT.usage, {
        message: `cannot write ${path}: ${code === "EEXIST" ? "it exists" : (code ?? (cause as Error).message)}`,
        hint:
          code === "EEXIST" ? "pass --force to overwrite it, or --config another file" : "check the folder",
        reason: "usage",
      });
    }
    out.text(`wrote ${path}: edit it, then \`${out.program.name} status\``);
    out.object({ type: "init", path });
    return EXIT.ok;
  },
};
