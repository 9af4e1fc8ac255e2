import { type Shell, simpleNameSchema, timerMsSchema } from "@backflip/core";
import { absolutePathSchema } from "@backflip/core/driver-kit";
import { z } from "zod";
import { defaultNginxTemplate, type NginxTemplate } from "./default-nginx-template";

/** A path nginx reads unquoted in `include` and on a command line: no blanks, quotes or `;`. */
const configPath = absolutePathSchema.refine(
  (p) => /^[A-Za-z0-9_./@+-]+$/.test(p),
  "expected a path of letters, digits, '_', '.', '/', '@', '+' or '-'",
);
const address = z
  .string()
  .regex(/^([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$/, "expected host:port");
const program = (name: string) => z.string().regex(/^\S+$/, "expected a program name or path").default(name);
const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === "function", { message: `${what} must be a function` });

/** The zod schema of {@link NginxSwitchOptions}, defaults filled in: every upstream has servers in every color. */
export const nginxSwitchOptionsSchema = z
  .object({
    /** Runs nginx, curl and the file commands where nginx runs (local, SSH, inside its container). */
    shell: z.custom<Shell>((v) => typeof (v as Shell | null)?.run === "function", {
      message: "shell must be a Shell (an object with run)",
    }),
    /** The colors traffic can go to, e.g. `["blue", "green"]`. */
    colors: z.array(simpleNameSchema).min(2).readonly(),
    /** The servers (`host:port`) of each upstream in each color: `upstreams[name][color]`. */
    upstreams: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, "expected an nginx upstream name"),
        z.record(simpleNameSchema, z.union([address, z.array(address).min(1).readonly()])).readonly(),
      )
      .refine((u) => Object.keys(u).length > 0, "name at least one upstream")
      .readonly(),
    /** The include file a flip replaces; the main config includes it inside `http { }` by this absolute path. */
    includeFile: configPath,
    /** The main config nginx runs with (`nginx -c`): `nginx -t` checks a copy of it that includes the candidate. */
    mainConfig: configPath,
    /** nginx's prefix (`nginx -p`), when it is not the compiled-in one. */
    prefix: configPath.optional(),
    /** The loopback address of the status server the include declares, e.g. `127.0.0.1:8091`. */
    statusListen: z
      .string()
      .regex(
        /^(127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|\[::1\]):[0-9]{1,5}$/,
        "expected a loopback address:port",
      ),
    /** The active-color file, its history and the history bound (default 50). */
    state: z.object({
      stateFile: absolutePathSchema,
      historyFile: absolutePathSchema,
      historyLimit: z.number().int().min(2).max(100_000).default(50),
    }),
    /** Renders the include file (default {@link defaultNginxTemplate}). */
    template: fn<NginxTemplate>("template").default(() => defaultNginxTemplate),
    /** The `nginx` binary on nginx's host (default `nginx`). */
    nginxBin: program("nginx"),
    /** The `curl` binary on nginx's host, to ask the status location (default `curl`). */
    curlBin: program("curl"),
    /**
     * How long confirm keeps asking once nginx first answers the new revision, every answer
     * required to be it (default 300 ms): after a reload the master waits 100 ms before it
     * tells the old workers to stop accepting connections.
     */
    settleMs: z.number().int().min(0).max(60_000).default(300),
    /** How long `confirm` waits for the running nginx to serve a revision (default 10000 ms). */
    confirmTimeoutMs: timerMsSchema.default(10_000),
    /** Timeout of each command run through the Shell (default 30000 ms). */
    commandTimeoutMs: timerMsSchema.default(30_000),
    /** The clock for history lines (default: the system clock). */
    now: fn<() => Date>("now").optional(),
  })
  .superRefine((o, ctx) => {
    if (o.includeFile === o.mainConfig) {
      ctx.addIssue({ code: "custom", path: ["includeFile"], message: "must not be the main config itself" });
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
  });

/** Options of {@link createNginxSwitch}. */
export type NginxSwitchOptions = z.input<typeof nginxSwitchOptionsSchema>;

/** The options once checked, defaults filled in. */
export type NginxSwitchSettings = z.output<typeof nginxSwitchOptionsSchema>;
