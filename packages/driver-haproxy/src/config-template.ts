import type { DriverError } from "@backflip/core";
import Handlebars from "handlebars";
import { err, ok, type Result } from "neverthrow";
import { haproxyError } from "./haproxy-error";

/** One server of a backend in the template. */
export interface ServerView {
  /** `<color><n>`, e.g. `blue1`. */
  readonly name: string;
  /** `host:port`. */
  readonly address: string;
}

/** One backend (one component in one color) in the template. */
export interface BackendView {
  /** `be_<component>_<color>`: the name runtime-map mode puts in the map. */
  readonly name: string;
  readonly component: string;
  readonly color: string;
  /** True for the color the config routes to. */
  readonly active: boolean;
  /** The topology's health path, for `option httpchk`. */
  readonly healthPath: string;
  readonly servers: readonly ServerView[];
}

/** One component in the template. */
export interface ComponentView {
  readonly name: string;
  /** Its path prefix, or `null` for the default component. */
  readonly route: string | null;
  /** The backend of the active color. */
  readonly activeBackend: string;
  /** One backend per color, in topology order. */
  readonly backends: readonly BackendView[];
}

/** Every variable a `haproxy.cfg` template sees (strict: a name not listed here is an error). */
export interface TemplateView {
  readonly env: string;
  /** The color this config routes to. */
  readonly color: string;
  /** The revision to stamp: `set-var proc.cfg_rev str({{revision}})`. */
  readonly revision: string;
  readonly sha: string | null;
  readonly runId: string;
  readonly actor: string;
  readonly colors: readonly string[];
  readonly binds: readonly string[];
  readonly statsSocket: string;
  /** The master's pid file when the reload method signals it, else `null`. */
  readonly pidFile: string | null;
  /** The map file in runtime-map mode, else `null`. */
  readonly mapFile: string | null;
  /** The CA file of HAProxy's internal HTTP client (`httpClientCaFile` option), else `null`. */
  readonly httpClientCaFile: string | null;
  readonly healthPath: string;
  readonly components: readonly ComponentView[];
  /** The components with a route, in topology order (the default component excluded). */
  readonly routedComponents: readonly ComponentView[];
  readonly defaultComponent: ComponentView;
  /** The caller's extra variables. */
  readonly vars: Readonly<Record<string, unknown>>;
}

/** A compiled template. */
export type ConfigTemplate = (view: TemplateView) => Result<string, DriverError>;

/** The backend name of a component in a color. */
export function backendName(component: string, color: string): string {
  return `be_${component}_${color}`;
}

/**
 * Compiles a `haproxy.cfg` template with `strict: true` (a missing variable is an error,
 * never an empty string) and no HTML escaping. Errors come back as `invalid_input`.
 */
export function compileTemplate(source: string): ConfigTemplate {
  const hb = Handlebars.create();
  let compiled: Handlebars.TemplateDelegate<TemplateView> | undefined;
  return (view) => {
    try {
      compiled ??= hb.compile<TemplateView>(source, { strict: true, noEscape: true });
      return ok(compiled(view));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return err(
        haproxyError("render", "invalid_input", `the haproxy.cfg template failed: ${message}`, {
          hint: "fix the template: every variable it uses must exist (see TemplateView in the driver's README)",
          cause: error,
        }),
      );
    }
  };
}
