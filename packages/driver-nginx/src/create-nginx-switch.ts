import { type DriverError, parseInput, type TrafficSwitch } from "@backflip/core";
import { createTrafficSwitch, driverErrorFor, formatRevision, RemoteFiles } from "@backflip/core/driver-kit";
import { err, type Result } from "neverthrow";
import { defaultNginxTemplate } from "./default-nginx-template";
import { nginxBackend } from "./nginx-backend";
import { type NginxSwitchOptions, nginxSwitchOptionsSchema } from "./nginx-switch-options";

/**
 * Builds the nginx {@link TrafficSwitch}: a flip renders the include file naming the
 * target color's upstream servers, checks it with `nginx -t`, swaps it in (keeping
 * `.prev`), runs `nginx -s reload`, and confirms by asking nginx's status location for
 * the revision until every answer is the new one. Every file and command goes through
 * `options.shell`, so nginx may be local, behind SSH or inside its container. Bad
 * options (an upstream without servers for a color, a template that does not stamp
 * the revision) are `invalid_input` here, before anything runs.
 */
export function createNginxSwitch(options: NginxSwitchOptions): Result<TrafficSwitch, DriverError> {
  return parseInput(nginxSwitchOptionsSchema, options, {
    driver: "nginx",
    op: "create",
    hint: "fix the named option",
  }).andThen((o) => {
    const files = new RemoteFiles(o.shell, { driver: "nginx", timeoutMs: o.commandTimeoutMs ?? 30_000 });
    const backend = nginxBackend(
      {
        ...o,
        template: o.template ?? defaultNginxTemplate,
        nginxBin: o.nginxBin ?? "nginx",
        curlBin: o.curlBin ?? "curl",
        settleMs: o.settleMs ?? 300,
      },
      files,
    );
    // Render once now, so a template that throws or does not stamp the revision fails here.
    const revision = formatRevision({ color: o.colors[0] as string, runId: "probe" });
    const probe = backend.render(
      { color: o.colors[0] as string, runId: "probe", actor: "backflip" },
      revision,
    );
    if (probe.isOk() && backend.revisionOf(probe.value) !== revision) {
      return err(
        driverErrorFor("nginx")("create", "invalid_input", "the template does not stamp the revision", {
          hint: backend.stampHint,
        }),
      );
    }
    return probe
      .mapErr((e) => ({ ...e, op: "create" }))
      .andThen(() =>
        createTrafficSwitch({
          backend,
          files,
          colors: o.colors,
          state: { ...o.state, historyLimit: o.state.historyLimit ?? 50 },
          ...(o.confirmTimeoutMs ? { confirmTimeoutMs: o.confirmTimeoutMs } : {}),
          ...(o.now ? { now: o.now } : {}),
        }),
      );
  });
}
