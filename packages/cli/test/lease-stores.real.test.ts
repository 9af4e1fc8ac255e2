import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { backendEnv, skipUnlessBackend } from "@backflip/core/testing";
import { createEtcdCoordination } from "@backflip/driver-etcd";
import { createIncusCoordination, createIncusHost, incusSocketPath } from "@backflip/driver-incus";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes";
import { main } from "../src/main";

/** Runs `backflip` in-process on a state directory of its own (the simulated fleet); exit code, stdout, stderr. */
async function backflip(dir: string, ...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(
    [...argv, "--state-dir", dir],
    (l) => stdout.push(l),
    (l) => stderr.push(l),
  );
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

const stateDir = () => mkdtemp(join(tmpdir(), "backflip-lease-real-"));
const unique = (stem: string) => `${stem}-${randomBytes(3).toString("hex")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const prefix = unique("h24l");
const etcd = backendEnv("etcd");
const incus = backendEnv("incus");

/** A shared store: the CLI flags that choose it, its own client's lock, and how to remove what a test wrote. */
interface Store {
  readonly kind: "incus" | "etcd";
  readonly available: boolean;
  readonly setup: string;
  readonly args: readonly string[];
  open(): ReturnType<typeof createIncusCoordination> | ReturnType<typeof createEtcdCoordination>;
  clean(envs: readonly string[]): Promise<void>;
}

const stores: Store[] = [
  {
    kind: "incus",
    available: incus !== null && existsSync(incusSocketPath()),
    setup: "scripts/backends up incus",
    args: ["--coordination", "incus", "--coordination-prefix", prefix],
    open: () => createIncusCoordination({ prefix }),
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
    args: [
      "--coordination",
      "etcd",
      "--etcd-endpoints",
      etcd?.ETCD_ENDPOINTS ?? "",
      "--coordination-prefix",
      prefix,
    ],
    open: () =>
      createEtcdCoordination({ endpoints: (etcd?.ETCD_ENDPOINTS ?? "").split(","), prefix: `/${prefix}` }),
    async clean() {
      await promisify(execFile)(etcd?.ETCDCTL_BIN ?? "etcdctl", [
        `--endpoints=${etcd?.ETCD_ENDPOINTS ?? ""}`,
        "del",
        "--prefix",
        `/${prefix}/`,
      ]);
    },
  },
];

for (const store of stores) {
  const envs: string[] = [];
  describe.skipIf(skipUnlessBackend(store.available, store.kind, store.setup))(
    `backflip lease and postmortem through ${store.kind} (real)`,
    { timeout: 120_000 },
    () => {
      afterAll(() => store.clean(envs));

      it("lease break records who broke the stale lease and why; lease show lists the break", async () => {
        const env = unique("lb");
        envs.push(env);
        const client = store.open()._unsafeUnwrap();
        const owner = "bob via backflip (bob@laptop-b pid 4242) run 20261207T041434Z-daecda";
        const lease = (await client.lock.acquire(env, { owner, ttlMs: 1000 }))._unsafeUnwrap();
        await client.close();
        const dir = await stateDir();
        const live = await backflip(
          dir,
          "lease",
          "break",
          "--env",
          env,
          "--reason",
          "x",
          "--yes",
          ...store.args,
        );
        expect(live.code).toBe(EXIT.locked);
        await sleep(2500); // stale on the store's clock too
        const broke = await backflip(
          dir,
          "lease",
          "break",
          "--env",
          env,
          "--reason",
          "bob's laptop died mid-run",
          "--actor",
          "carol",
          "--yes",
          "--json",
          ...store.args,
        );
        expect(broke.code, broke.stderr).toBe(EXIT.ok);
        const record = JSON.parse(broke.stdout);
        expect(record).toMatchObject({ type: "lease-break", broken: true, lease: { token: lease.token } });
        expect(record.brokenBy).toMatch(/^carol via backflip \(.+\), because: bob's laptop died mid-run$/);
        const shown = await backflip(dir, "lease", "show", "--env", env, ...store.args);
        expect(shown.code).toBe(EXIT.ok);
        expect(shown.stdout).toContain(`  ${env}: free`);
        expect(shown.stdout).toMatch(
          new RegExp(
            `^  ${env}: carol via backflip .*, because: bob's laptop died mid-run broke the stale lease of ${owner.replace(/[()]/g, "\\$&")} \\(token ${lease.token},`,
            "m",
          ),
        );
      });

      it("postmortem reads a run from the shared journal", async () => {
        const env = unique("pm");
        envs.push(env);
        const dir = await stateDir();
        const ran = await backflip(
          dir,
          "rollback",
          "--mode",
          "fast",
          "--env",
          env,
          "--reason",
          "green 500s",
          ...store.args,
        );
        expect(ran.code, ran.stderr).toBe(EXIT.ok);
        const runs = await backflip(dir, "runs", "--env", env, "--json", ...store.args);
        const runId = (JSON.parse(runs.stdout) as { runId: string }).runId;
        // from another machine: no local state, only the shared store
        const pm = await backflip(await stateDir(), "postmortem", runId, "--json", ...store.args);
        expect(pm.code, pm.stderr).toBe(EXIT.ok);
        expect(JSON.parse(pm.stdout)).toMatchObject({ runId, env, state: "succeeded", reason: "green 500s" });
      });
    },
  );
}
