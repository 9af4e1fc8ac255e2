import type { Shell } from "@backflip/core";
import {
  absolutePathSchema,
  commandNameSchema,
  lazySchema,
  simpleNameSchema,
  timerMsSchema,
} from "@backflip/core/driver-kit";
import * as z from "zod";
import { defaultNginxTemplate, type NginxTemplate } from "./default-nginx-template";

/** A path nginx reads unquoted in `include` and on a command line: no blanks, quotes or `;`. */
const configPath = lazySchema(() =>
  absolutePathSchema.refine(
    (p) => /^[A-Za-z0-9_./@+-]+$/.test(p),
    "expected a path of letters, digits, '_', '.', '/', '@', '+' or '-'",
  ),
);
const address = lazySchema(() =>
  z.string().regex(/^([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$/, "expected host:port"),
);
const program = (name: string) => commandNameSchema.default(name);
const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === "function", { message: `${what} must be a function` });

/** The zod schema of {@link NginxSwitchOptions}, defaults filled in: every upstream has servers in every color. */
export const nginxSwitchOptionsSchema = lazySchema(() =>
  z
    .object({
      shell: z.custom<Shell>((v) => typeof (v as Shell | null)?.run === "function", {
        message: "shell must be a Shell (an object with run)",
      }),
      colors: z.array(simpleNameSchema).min(2).readonly(),
      upstreams: z
        .record(
          z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, "expected an nginx upstream name"),
          z.record(simpleNameSchema, z.union([address, z.array(address).min(1).readonly()])).readonly(),
        )
        .refine((u) => Object.keys(u).length > 0, "name at least one upstream")
        .readonly(),
      includeFile: configPath,
      mainConfig: configPath,
      prefix: configPath.optional(),
      statusListen: z
        .string()
        .regex(
          /^(127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[::1\]):[0-9]{1,5}$/,
          "expected a loopback address:port",
        ),
      state: z.object({
        stateFile: absolutePathSchema,
        historyFile: absolutePathSchema,
        historyLimit: z.number().int().min(2).max(100_000).default(50),
      }),
      template: fn<NginxTemplate>("template").default(() => defaultNginxTemplate),
      nginxBin: program("nginx"),
      curlBin: program("curl"),
      settleMs: z.number().int().min(0).max(60_000).default(300),
      confirmTimeoutMs: timerMsSchema.default(10_000),
      commandTimeoutMs: timerMsSchema.default(30_000),
      now: fn<() => Date>("now").optional(),
    })
    .superRefine((o, ctx) => {
      if (o.includeFile === o.mainConfig) {
        ctx.addIssue({
          code: "custom",
          path: ["includeFile"],
          message: "must not be the main config itself",
        });
      }
      for (const [name, byColor] of Object.entries(o.upstreams)) {
        for (const color of o.colors.filter((c) => byColor[c] === undefined)) {
          ctx.addIssue({
            code: "custom",
            path: ["upstreams", name, color],
            message: `no servers for ${color}`,
          });
        }
      }
    }),
);

/** Options of {@link createNginxSwitch}. */
export interface NginxSwitchOptions {
  /** Runs nginx, curl and the file commands where nginx runs (local, SSH, inside its container). */
  readonly shell: Shell;
  /** The colors traffic can go to, e.g. `["blue", "green"]`. */
  readonly colors: readonly string[];
  /** The servers (`host:port`) of each upstream in each color: `upstreams[name][color]`. */
  readonly upstreams: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  /** The include file a flip replaces; the main config includes it inside `http { }` by this absolute path. */
  readonly includeFile: string;
  /** The main config nginx runs with (`nginx -c`): `nginx -t` checks a copy of it that includes the candidate. */
  readonly mainConfig: string;
  /** nginx's prefix (`nginx -p`), when it is not the compiled-in one. */
  readonly prefix?: string;
  /** The loopback address of the status server the include declares, e.g. `127.0.0.1:8091`. */
  readonly statusListen: string;
  /** The active-color file, its history and the history bound (default 50). */
  readonly state: {
    readonly stateFile: string;
    readonly historyFile: string;
    readonly historyLimit?: number;
  };
  /** Renders the include file (default {@link defaultNginxTemplate}). */
  readonly template?: NginxTemplate;
  /** The `nginx` binary on nginx's host (default `nginx`). */
  readonly nginxBin?: string;
  /** The `curl` binary on nginx's host, to ask the status location (default `curl`). */
  readonly curlBin?: string;
  /**
   * How long confirm keeps asking once nginx first answers the new revision, every answer
   * required to be it (default 300 ms): after a reload the master waits 100 ms before it
   * tells the old workers to stop accepting connections.
   */
  readonly settleMs?: number;
  /** How long `confirm` waits for the running nginx to serve a revision (default 10000 ms). */
  readonly confirmTimeoutMs?: number;
  /** Timeout of each command run through the Shell (default 30000 ms). */
  readonly commandTimeoutMs?: number;
  /** The clock for history lines (default: the system clock). */
  readonly now?: () => Date;
}

/** The options once checked, defaults filled in. */
export type NginxSwitchSettings = z.output<typeof nginxSwitchOptionsSchema>;
