import type { Shell } from "@backflip/core";
import {
  absolutePathSchema,
  commandNameSchema,
  envNameSchema,
  freeTextSchema,
  lazySchema,
  simpleNameSchema,
} from "@backflip/core/driver-kit";
import * as z from "zod";
import type { ProcessSignals } from "./process-signals";
import { type ReloadMethod, reloadMethodSchema } from "./reload-method";
import type { RuntimeApiFactory } from "./runtime-api";

/** How a flip reaches the running HAProxy. */
export type HaproxyMode = "reload" | "map";

/** Options of {@link createHaproxySwitch}. */
export interface HaproxySwitchOptions {
  /** Runs commands where HAProxy runs (local, SSH, inside its container). */
  readonly shell: Shell;
  /** The environment's name, e.g. `staging` (the template's `{{env}}`). */
  readonly env: string;
  /** The colors a flip routes to, e.g. `["blue", "green"]`. */
  readonly colors: readonly string[];
  /** The components every color runs, e.g. `["backend", "web"]` (one backend per component and color). */
  readonly components: readonly string[];
  /** The live `haproxy.cfg` on the HAProxy host. */
  readonly configPath: string;
  /** The path HAProxy's health checks ask every server (`option httpchk`). */
  readonly healthPath: string;
  /** The active-color file, its history and how many history lines are kept. */
  readonly state: {
    readonly stateFile: string;
    readonly historyFile: string;
    readonly historyLimit: number;
  };
  /** The servers (`host:port`) of every component in every color: `servers[component][color]`. */
  readonly servers: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  /** `reload` (default): re-render `haproxy.cfg` and reload. `map`: rewrite the color map and push it with the runtime API, no reload. */
  readonly mode?: HaproxyMode;
  /** The frontend's `bind` lines (default `["*:80"]`). */
  readonly binds?: readonly string[];
  /** The stats socket (runtime API, level admin) the template declares and the driver asks (default `/run/haproxy/admin.sock`). */
  readonly statsSocket?: string;
  /** The map file of runtime-map mode (default `backflip-color.map` next to the config). */
  readonly mapFile?: string;
  /** How reload mode reloads (default: USR2 to the master in `/run/haproxy.pid`). */
  readonly reload?: ReloadMethod;
  /** Path prefixes routed to components, e.g. `{ backend: "/api/" }`; the default component takes the rest. */
  readonly routes?: Readonly<Record<string, string>>;
  /** The component that takes requests no route matches (default: the last component without a route). */
  readonly defaultComponent?: string;
  /** A handlebars template of `haproxy.cfg` replacing {@link DEFAULT_HAPROXY_TEMPLATE}; it must stamp `{{revision}}`. */
  readonly template?: string;
  /** Extra template variables, available as `vars.<name>`. */
  readonly vars?: Readonly<Record<string, unknown>>;
  /**
   * A CA bundle for HAProxy's internal HTTP client (`httpclient.ssl.ca-file`, used by Lua).
   * HAProxy 2.6 otherwise loads the whole system CA store on every start, which costs tens
   * of milliseconds on every `haproxy -c` and reload. Default: not set (HAProxy's default).
   */
  readonly httpClientCaFile?: string;
  /** The `haproxy` binary on the HAProxy host (default `haproxy`). */
  readonly haproxyBin?: string;
  /** The `socat` binary on the HAProxy host, for the default runtime API transport (default `socat`). */
  readonly socatBin?: string;
  /** How to reach a CLI socket (default: `socat` through the Shell; pass `unixSocketRuntimeApi` when HAProxy is local). */
  readonly runtimeApi?: RuntimeApiFactory;
  /**
   * The `signal` reload method's process access (default: `cat /proc/<pid>/comm` and
   * `kill` through the Shell; pass `localProcessSignals()` when HAProxy runs on this machine).
   */
  readonly processSignals?: ProcessSignals;
  /** Runtime-map mode only: set the old color's servers to `drain` as the map switches (the new color's to `ready`). */
  readonly drain?: boolean;
  /** How long `confirm` waits for the running HAProxy to report the revision (default 10000 ms). */
  readonly confirmTimeoutMs?: number;
  /** Timeout of each command run through the Shell (default 30000 ms). */
  readonly commandTimeoutMs?: number;
  /** The clock for history lines (default: the system clock). */
  readonly now?: () => Date;
}

/** A path HAProxy's config and runtime API read as one word: portable characters only. */
export const haproxyPathSchema = lazySchema(() =>
  absolutePathSchema.refine(
    (p) => /^[A-Za-z0-9_./@-]+$/.test(p),
    "expected a path of letters, digits, '_', '.', '/', '@' or '-'",
  ),
);
const address = lazySchema(() =>
  z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):[0-9]{1,5}$/, "expected host:port"),
);
const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === "function", { message: `${what} must be a function` });

/** The zod schema of {@link HaproxySwitchOptions}, servers and routes cross-checked against the colors and components. */
export const haproxySwitchOptionsSchema = lazySchema(() =>
  z
    .object({
      shell: z.custom<Shell>(
        (v) => typeof v === "object" && v !== null && typeof (v as Shell).run === "function",
        { message: "shell must be a Shell (an object with run)" },
      ),
      env: envNameSchema,
      colors: z.array(simpleNameSchema).min(2),
      components: z.array(simpleNameSchema).min(1),
      configPath: haproxyPathSchema,
      healthPath: absolutePathSchema,
      state: z.object({
        stateFile: absolutePathSchema,
        historyFile: absolutePathSchema,
        historyLimit: z.number().int().min(1).max(100_000),
      }),
      servers: z.record(
        simpleNameSchema,
        z.record(simpleNameSchema, z.union([address, z.array(address).min(1)])),
      ),
      mode: z.enum(["reload", "map"]).optional(),
      binds: z.array(freeTextSchema(200)).min(1).optional(),
      statsSocket: haproxyPathSchema.optional(),
      mapFile: haproxyPathSchema.optional(),
      reload: reloadMethodSchema.optional(),
      routes: z
        .record(
          simpleNameSchema,
          z
            .string()
            .max(4096, "expected a path prefix of at most 4096 characters")
            .regex(/^\/[A-Za-z0-9_./~-]*$/, "expected a path prefix like /api/")
            .refine((p) => !p.split("/").includes(".."), "a path prefix has no '..' segment"),
        )
        .optional(),
      defaultComponent: simpleNameSchema.optional(),
      template: z.string().min(1).optional(),
      vars: z.record(z.string(), z.unknown()).optional(),
      httpClientCaFile: absolutePathSchema
        .refine((p) => /^[A-Za-z0-9_./@+-]+$/.test(p), "expected a path without blanks or quotes")
        .optional(),
      haproxyBin: commandNameSchema.optional(),
      socatBin: commandNameSchema.optional(),
      runtimeApi: fn<RuntimeApiFactory>("runtimeApi").optional(),
      processSignals: z
        .custom<ProcessSignals>(
          (v) =>
            typeof v === "object" &&
            v !== null &&
            typeof (v as ProcessSignals).commandOf === "function" &&
            typeof (v as ProcessSignals).send === "function",
          { message: "processSignals must have commandOf and send functions" },
        )
        .optional(),
      drain: z.boolean().optional(),
      confirmTimeoutMs: z.number().int().min(1).max(600_000).optional(),
      commandTimeoutMs: z.number().int().min(1).max(3_600_000).optional(),
      now: fn<() => Date>("now").optional(),
    })
    .superRefine((o, ctx) => {
      const { components, colors } = o;
      for (const component of components) {
        for (const color of colors) {
          if (o.servers[component]?.[color] === undefined) {
            ctx.addIssue({
              code: "custom",
              path: ["servers", component, color],
              message: `no server address for ${component} in ${color}`,
            });
          }
        }
      }
      for (const [component, byColor] of Object.entries(o.servers)) {
        if (!components.includes(component)) {
          ctx.addIssue({
            code: "custom",
            path: ["servers", component],
            message: "not one of the components",
          });
        }
        for (const color of Object.keys(byColor)) {
          if (!colors.includes(color)) {
            ctx.addIssue({
              code: "custom",
              path: ["servers", component, color],
              message: "not one of the colors",
            });
          }
        }
      }
      for (const component of Object.keys(o.routes ?? {})) {
        if (!components.includes(component)) {
          ctx.addIssue({ code: "custom", path: ["routes", component], message: "not one of the components" });
        }
      }
      if (o.defaultComponent !== undefined && !components.includes(o.defaultComponent)) {
        ctx.addIssue({ code: "custom", path: ["defaultComponent"], message: "not one of the components" });
      }
      if (o.drain && o.mode !== "map") {
        ctx.addIssue({
          code: "custom",
          path: ["drain"],
          message:
            "drain applies to runtime-map mode only: a reload already drains the old workers gracefully",
        });
      }
    }),
);
