import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DriverError, driverError } from "@backflip/core";
import { poll } from "@backflip/core/driver-kit";
import { okAsync, ResultAsync } from "neverthrow";
import { request } from "undici";
import { z } from "zod";
import { labStateDir } from "./lab-settings";

/** Where the running fake registry is: written by its own process, mode 0600 (the token is a secret). */
export interface LabRegistryState {
  readonly pid: number;
  readonly baseUrl: string;
  readonly token: string;
}

const DAEMON = "fake-registry-daemon";
const stateSchema = z.object({
  pid: z.number().int().positive(),
  baseUrl: z.url(),
  token: z.string().min(1),
});
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The registry state file under the lab state dir. */
export function registryStateFile(): string {
  return join(labStateDir(), "forgejo.json");
}

/** The registry state as last written, or `null` when there is none (or it does not parse). */
export function readRegistryState(): LabRegistryState | null {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(registryStateFile(), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Whether `pid` is a live lab registry process (not a recycled pid of something else). */
function isDaemon(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(DAEMON);
  } catch {
    return false;
  }
}

/** Whether the recorded registry process is alive and answers HTTP. */
export function registryAlive(state: LabRegistryState | null): ResultAsync<boolean, never> {
  if (state === null || !isDaemon(state.pid)) return okAsync(false);
  return ResultAsync.fromPromise(
    request(`${state.baseUrl}/api/v1/version`, { headersTimeout: 2_000, bodyTimeout: 2_000 }).then(
      async (res) => {
        await res.body.dump();
        return true;
      },
    ),
    () => false,
  ).orElse(() => okAsync(false));
}

/**
 * Makes sure the lab's fake registry runs and holds every lab artifact: keeps a live one,
 * otherwise starts `fake-registry-daemon` detached (log `forgejo.log` in the lab state
 * dir) and waits for it to write its state file. A stale file or dead pid is replaced.
 */
export function ensureLabRegistry(): ResultAsync<{ state: LabRegistryState; started: boolean }, DriverError> {
  const before = readRegistryState();
  return registryAlive(before).andThen((alive) => {
    if (alive && before) return okAsync({ state: before, started: false });
    return ResultAsync.fromPromise(startDaemon(before?.pid), (cause) =>
      driverError({
        driver: "lab",
        op: "registry",
        reason: "failed",
        message: `the fake registry did not start: ${cause instanceof Error ? cause.message : String(cause)}`,
        hint: `read ${join(labStateDir(), "forgejo.log")}`,
        cause,
      }),
    ).map((state) => ({ state, started: true }));
  });
}

async function startDaemon(stalePid: number | undefined): Promise<LabRegistryState> {
  mkdirSync(labStateDir(), { recursive: true });
  const log = openSync(join(labStateDir(), "forgejo.log"), "a");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(repoRoot, "lab/src", `${DAEMON}.ts`), registryStateFile()],
    { cwd: repoRoot, detached: true, stdio: ["ignore", log, log] },
  );
  child.unref();
  const ours = (state: LabRegistryState | null): state is LabRegistryState =>
    state !== null && state.pid !== stalePid && state.pid === child.pid;
  const started = await poll({
    read: () => okAsync({ state: readRegistryState(), exitCode: child.exitCode }),
    done: ({ state, exitCode }) => ours(state) || exitCode !== null,
    timeoutMs: 60_000,
    backoff: () => 100,
  });
  if (started.isOk()) {
    const { state, exitCode } = started.value;
    if (ours(state)) return state;
    throw new Error(`the process exited with ${exitCode}`);
  }
  child.kill("SIGTERM");
  throw new Error("no state file after 60 s");
}

/** Stops the lab's registry process when it runs (SIGTERM, then waits up to 10 s). */
export function stopLabRegistry(): ResultAsync<boolean, DriverError> {
  const state = readRegistryState();
  if (state === null || !isDaemon(state.pid)) return okAsync(false);
  return ResultAsync.fromPromise(
    (async () => {
      process.kill(state.pid, "SIGTERM");
      await poll({
        read: () => okAsync(isDaemon(state.pid)),
        done: (running) => !running,
        timeoutMs: 10_000,
        backoff: () => 100,
      });
      if (isDaemon(state.pid)) process.kill(state.pid, "SIGKILL");
      return true;
    })(),
    (cause) =>
      driverError({
        driver: "lab",
        op: "registry",
        reason: "failed",
        message: `could not stop the fake registry (pid ${state.pid}): ${cause instanceof Error ? cause.message : String(cause)}`,
      }),
  );
}
