import type { DriverError } from "@backflip/core";
import { runChecked } from "@backflip/core/driver-kit";
import type { IncusHost } from "@backflip/driver-incus";
import { okAsync, type ResultAsync } from "neverthrow";

/** One file the lab writes into a container (through the Incus file API, atomically). */
export interface ContainerFile {
  readonly path: string;
  readonly content: string;
  readonly mode?: number;
}

const HINT = "read the container's state with `pnpm lab status`, then `pnpm lab down && pnpm lab up`";

/** Runs `argv` in the container through the driver's Shell; a non-zero exit is `failed`. */
export function inContainer(
  host: IncusHost,
  container: string,
  argv: string[],
): ResultAsync<string, DriverError> {
  return runChecked(host.shell(container), argv, {
    driver: "lab",
    op: "provision",
    label: argv.join(" "),
    hint: HINT,
    timeoutMs: 30_000,
  }).map((r) => r.stdout);
}

/**
 * Makes a busybox container ready to run host programs and the lab's files: starts it
 * (a no-op when RUNNING), links `/lib` and `/lib64` into the read-only host `/usr`,
 * creates `dirs`, writes `files`, then sends SIGHUP to busybox init so it re-reads
 * `/etc/inittab` and starts (or keeps) its respawned programs. Idempotent.
 */
export function provisionContainer(
  host: IncusHost,
  container: string,
  dirs: readonly string[],
  files: readonly ContainerFile[],
): ResultAsync<void, DriverError> {
  return host
    .start(container, { timeoutS: 60 })
    .andThen(() => inContainer(host, container, ["ln", "-sfn", "usr/lib", "/lib"]))
    .andThen(() => inContainer(host, container, ["ln", "-sfn", "usr/lib64", "/lib64"]))
    .andThen(() => inContainer(host, container, ["mkdir", "-p", ...dirs]))
    .andThen(() =>
      files.reduce<ResultAsync<void, DriverError>>(
        (done, f) =>
          done.andThen(() => host.pushFile(container, f.path, f.content, { mode: f.mode ?? 0o644 })),
        okAsync(undefined),
      ),
    )
    .andThen(() => inContainer(host, container, ["kill", "-HUP", "1"]))
    .map(() => undefined);
}
