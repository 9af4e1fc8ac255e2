import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { createEtcdCoordination, type EtcdCoordination } from "@backflip/driver-etcd";
import {
  createIncusCoordination,
  createIncusHost,
  type IncusCoordination,
  incusSocketPath,
} from "@backflip/driver-incus";
import { afterAll, describe } from "vitest";
import { main } from "../src/main";
import type { Ran } from "./packed-cli";

/** Runs `backflip` in-process: its exit code, stdout and stderr; `confirm` answers a terminal's question (without it, no terminal). */
export async function backflip(
  argv: readonly string[],
  confirm?: (question: string) => Promise<boolean>,
): Promise<Ran> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(
    argv,
    (l) => stdout.push(l),
    (l) => stderr.push(l),
    confirm ? { confirm } : {},
  );
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

/** {@link backflip} on the state directory `dir` (the file store and the simulated fleet, unless `argv` names others). */
export const backflipIn = (
  dir: string,
  argv: readonly string[],
  confirm?: (question: string) => Promise<boolean>,
): Promise<Ran> => backflip([...argv, "--state-dir", dir], confirm);

/** A fresh, empty state directory. */
export const stateDir = (): Promise<string> => mkdtemp(join(tmpdir(), "backflip-test-"));

/** `stem` with a random suffix: an environment or prefix no other test run uses. */
const unique = (stem: string): string => `${stem}-${randomBytes(3).toString("hex")}`;

/** A real shared coordination store: the CLI flags that choose it, a client of its own, and how to remove what a test wrote. */
export interface SharedStore {
  readonly kind: "incus" | "etcd";
  /** False when its backend is not up (the tests then skip, naming `setup`). */
  readonly available: boolean;
  /** The command that starts its backend. */
  readonly setup: string;
  /** The CLI options that choose it, under the prefix. */
  readonly args: readonly string[];
  /** The store's own client under the prefix, as another program on another machine would open it; close it when done. */
  open(): IncusCoordination | EtcdCoordination;
  /** Removes everything the tests wrote under the prefix (`envs`: the environments they used). */
  clean(envs: readonly string[]): Promise<void>;
}

/** The Incus and etcd stores of `scripts/backends up`, under `prefix` (≤ 24 lowercase characters). */
function sharedStores(prefix: string): readonly SharedStore[] {
  const etcd = backendEnv("etcd");
  const endpoints = etcd?.ETCD_ENDPOINTS ?? "";
  return [
    {
      kind: "incus",
      available: backendEnv("incus") !== null && existsSync(incusSocketPath()),
      setup: "scripts/backends up incus",
      args: ["--coordination", "incus", "--coordination-prefix", prefix],
      open: () => createIncusCoordination({ prefix })._unsafeUnwrap(),
      async clean(envs) {
        const host = createIncusHost()._unsafeUnwrap();
        for (const env of envs)
          for (const kind of ["anchor", "archive"])
            await host.delete(`${prefix}-${kind}-${env}`, { stopFirst: true });
        await host.close();
      },
    },
    {
      kind: "etcd",
      available: etcd !== null,
      setup: "scripts/backends up etcd",
      args: ["--coordination", "etcd", "--etcd-endpoints", endpoints, "--coordination-prefix", prefix],
      open: () =>
        createEtcdCoordination({ endpoints: endpoints.split(","), prefix: `/${prefix}` })._unsafeUnwrap(),
      async clean() {
        await promisify(execFile)(etcd?.ETCDCTL_BIN ?? "etcdctl", [
          `--endpoints=${endpoints}`,
          "del",
          "--prefix",
          `/${prefix}/`,
        ]);
      },
    },
  ];
}

/**
 * `body`'s tests once per real shared store, as `<title> through <kind> (real)` under a
 * prefix of their own (`stem` and a random suffix); skipped, naming the setup, when the
 * store's backend is down. `newEnv(stem)` names a fresh environment, whose records the
 * store loses once the tests are done.
 */
export function describeEachStore(
  stem: string,
  title: string,
  timeoutMs: number,
  body: (store: SharedStore, newEnv: (stem: string) => string) => void,
): void {
  for (const store of sharedStores(unique(stem))) {
    const envs: string[] = [];
    describe.skipIf(skipUnlessBackend(store.available, store.kind, store.setup))(
      `${title} through ${store.kind} (real)`,
      { timeout: timeoutMs },
      () => {
        afterAll(() => store.clean(envs));
        body(store, (envStem) => {
          const env = unique(envStem);
          envs.push(env);
          return env;
        });
      },
    );
  }
}
