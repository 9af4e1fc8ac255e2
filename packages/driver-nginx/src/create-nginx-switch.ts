import type { DriverError, TrafficSwitch } from "@backflip/core";
import { createTrafficSwitch, formatRevision, parseInput, RemoteFiles } from "@backflip/core/driver-kit";
import { err, type Result } from "neverthrow";
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
    const files = new RemoteFiles(o.shell, { driver: "nginx", timeoutMs: o.commandTimeoutMs });
    const backend = nginxBackend(o, files);
    // Render once now, so a template that throws or does not stamp the revision fails here.
    const probe = { color: o.colors[0] as string, runId: "probe", actor: "backflip" };
    const revision = formatRevision(probe);
    return backend
      .render(probe, revision)
      .andThen((content) =>
        backend.revisionOf(content) === revision
          ? createTrafficSwitch({ backend, files, ...o })
          : err(
              files.fail("create", "invalid_input", "the template does not stamp the revision", {
                hint: backend.stampHint,
              }),
            ),
      )
      .mapErr((e) => ({ ...e, op: "create" }));
  });
}
