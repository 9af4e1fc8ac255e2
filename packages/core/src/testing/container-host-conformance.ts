import { describe, expect, it } from "vitest";
import type { DriverError } from "../errors/driver-error";
import type { ContainerHost } from "../ports/container-host";
import { type ConformanceTarget, supports } from "./conformance-target";
import { fixturePerTest } from "./fixture-per-test";

/** What the {@link runContainerHostConformance} suite needs besides the driver. */
export interface ContainerHostFixtures {
  /**
   * A running instance the suite may stop and start, run commands in, write files under
   * `/tmp` of, and snapshot/restore. It is left running.
   */
  readonly running: string;
  /** A stopped instance; the suite only reads it and stops it again (a no-op). */
  readonly stopped: string;
  /** A valid instance name that does not exist. Default `bf-conformance-missing`. */
  readonly missing?: string;
  /**
   * Creates a fresh running instance the suite may delete. Without it, the test that
   * deletes with `stopFirst` is skipped (the refusal to delete a running one still runs).
   */
  readonly disposable?: () => Promise<string>;
  /**
   * How many requests the driver has sent to its backend so far. When given, the suite
   * proves that bad input sends none.
   */
  readonly requests?: () => number;
  /** True when the instance's shell has `stat -c %a` (busybox or coreutils): pushed modes are then checked. */
  readonly statInShell?: boolean;
}

/**
 * Optional parts of the ContainerHost contract a driver may lack (a host without
 * snapshots, one that never deletes): declared in `unsupported`, their tests are skipped
 * and the operations must answer `unsupported`.
 */
export type ContainerHostCapability = "snapshots" | "delete";

const BAD_NAMES = [
  "",
  "bad name",
  "-leading-dash",
  "trailing-dash-",
  "9starts-with-digit",
  "a/b",
  "x".repeat(64),
];

/**
 * The `ContainerHost` contract, as vitest tests. Semantics every driver must keep: `list`
 * filters by exact names and by patterns (`*`, `{a,b}`) and reports status with a
 * `running` flag; `state` of a missing instance is `not_found`; `start`/`stop` wait for
 * the change and are no-ops when already there; `delete` refuses a running instance
 * (`conflict`) unless `stopFirst`; the instance's `shell` returns exit codes, stdout,
 * stderr and reads stdin; `pushFile`/`pullFile` round-trip bytes with the mode applied;
 * a snapshot restore reverts content; bad names and paths are `invalid_input` and send
 * nothing.
 */
export function runContainerHostConformance(
  target: ConformanceTarget<ContainerHost, ContainerHostFixtures, ContainerHostCapability>,
): void {
  const snapshots = supports(target, "snapshots");
  const deletes = supports(target, "delete");
  describe.skipIf(target.skip)(`ContainerHost conformance: ${target.name}`, () => {
    const ctx = fixturePerTest(target);
    const host = () => ctx().port;
    const running = () => ctx().fixtures.running;
    const stopped = () => ctx().fixtures.stopped;
    const missing = () => ctx().fixtures.missing ?? "bf-conformance-missing";
    const tmpPath = (what: string) => `/tmp/bf-conformance-${what}-${Date.now().toString(36)}`;

    it("lists instances with their status and a running flag", async () => {
      const all = (await host().list())._unsafeUnwrap();
      const byName = new Map(all.map((i) => [i.name, i]));
      expect(byName.get(running())?.running).toBe(true);
      expect(byName.get(stopped())?.running).toBe(false);
      expect(byName.get(running())?.status).toMatch(/\S/);
      expect(typeof byName.get(stopped())?.statusCode).toBe("number");
    });

    it("lists by exact names, leaving out the missing ones", async () => {
      const found = (await host().list({ names: [running(), missing()] }))._unsafeUnwrap();
      expect(found.map((i) => i.name)).toEqual([running()]);
    });

    it("lists by pattern with {a,b} alternatives and * wildcards", async () => {
      const both = (await host().list({ pattern: `{${running()},${stopped()}}` }))._unsafeUnwrap();
      expect(both.map((i) => i.name).sort()).toEqual([running(), stopped()].sort());
      const star = (await host().list({ pattern: `${running().slice(0, -1)}*` }))._unsafeUnwrap();
      expect(star.map((i) => i.name)).toContain(running());
      expect(star.every((i) => i.name.startsWith(running().slice(0, -1)))).toBe(true);
      const none = (await host().list({ pattern: `${missing()}-*` }))._unsafeUnwrap();
      expect(none).toEqual([]);
    });

    it("reports one instance's state, and not_found for a missing one", async () => {
      const up = (await host().state(running()))._unsafeUnwrap();
      expect(up).toMatchObject({ name: running(), running: true });
      const down = (await host().state(stopped()))._unsafeUnwrap();
      expect(down).toMatchObject({ name: stopped(), running: false });
      expectReason(await host().state(missing()), "not_found");
    });

    it("stops and starts, each idempotent", async () => {
      (await host().stop(running(), { force: true }))._unsafeUnwrap();
      expect((await host().state(running()))._unsafeUnwrap().running).toBe(false);
      (await host().stop(running(), { force: true }))._unsafeUnwrap();
      (await host().start(running()))._unsafeUnwrap();
      expect((await host().state(running()))._unsafeUnwrap().running).toBe(true);
      (await host().start(running()))._unsafeUnwrap();
      (await host().stop(stopped()))._unsafeUnwrap();
      expect((await host().state(stopped()))._unsafeUnwrap().running).toBe(false);
    });

    it.skipIf(!deletes)("refuses to delete a running instance unless told to stop it first", async () => {
      expectReason(await host().delete(running()), "conflict");
      expect((await host().state(running()))._unsafeUnwrap().running).toBe(true);
    });

    it.skipIf(!deletes)(
      "deletes a running instance with stopFirst (needs the disposable fixture)",
      async (t) => {
        const { disposable } = ctx().fixtures;
        if (!disposable) return t.skip("no disposable fixture");
        const name = await disposable();
        (await host().delete(name, { stopFirst: true }))._unsafeUnwrap();
        expectReason(await host().state(name), "not_found");
      },
    );

    it("runs commands in the instance: exit codes, stdout, stderr, stdin", async () => {
      const shell = host().shell(running());
      const ok = (
        await shell.run(["sh", "-c", 'printf out; printf err >&2; exit "$0"', "3"])
      )._unsafeUnwrap();
      expect(ok).toMatchObject({ exitCode: 3, stdout: "out", stderr: "err", truncated: false });
      const echoed = (await shell.run(["cat"], { stdin: "line 1\nline 2\n" }))._unsafeUnwrap();
      expect(echoed).toMatchObject({ exitCode: 0, stdout: "line 1\nline 2\n" });
      const argv = (await shell.run(["echo", "a b", "$HOME", "'q'"]))._unsafeUnwrap();
      expect(argv.stdout).toBe("a b $HOME 'q'\n");
    });

    it("fails to run in a missing instance with not_found", async () => {
      expectReason(await host().shell(missing()).run(["true"]), "not_found");
    });

    it("pushes and pulls a file, bytes intact, mode applied, replaced atomically", async () => {
      const path = tmpPath("file");
      const bytes = new Uint8Array([0, 1, 2, 250, 255, 10]);
      (await host().pushFile(running(), path, bytes, { mode: 0o640 }))._unsafeUnwrap();
      expect(Array.from((await host().pullFile(running(), path))._unsafeUnwrap())).toEqual(Array.from(bytes));
      if (ctx().fixtures.statInShell) {
        const mode = (await host().shell(running()).run(["stat", "-c", "%a", path]))._unsafeUnwrap();
        expect(mode.stdout.trim()).toBe("640");
      }
      (await host().pushFile(running(), path, "second\n"))._unsafeUnwrap();
      expect(text((await host().pullFile(running(), path))._unsafeUnwrap())).toBe("second\n");
      const listing = (await host().shell(running()).run(["ls", "-a", "/tmp"]))._unsafeUnwrap();
      expect(
        listing.stdout.split("\n").filter((f) => f.includes(path.slice(5)) && f !== path.slice(5)),
      ).toEqual([]);
      await host().shell(running()).run(["rm", "-f", path]);
    });

    it("pulls a missing file as not_found", async () => {
      expectReason(await host().pullFile(running(), tmpPath("missing")), "not_found");
    });

    it.skipIf(!snapshots)("restores a snapshot: content written after it is reverted", async () => {
      const path = "/root/bf-conformance-snapshot.txt";
      const snap = `bf-conf-${Date.now().toString(36)}`;
      (await host().pushFile(running(), path, "before\n"))._unsafeUnwrap();
      const created = (await host().createSnapshot(running(), snap))._unsafeUnwrap();
      expect(created.name).toBe(snap);
      expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
      expect((await host().listSnapshots(running()))._unsafeUnwrap().map((s) => s.name)).toContain(snap);
      (await host().pushFile(running(), path, "after\n"))._unsafeUnwrap();
      expect(text((await host().pullFile(running(), path))._unsafeUnwrap())).toBe("after\n");
      (await host().restoreSnapshot(running(), snap))._unsafeUnwrap();
      expect(text((await host().pullFile(running(), path))._unsafeUnwrap())).toBe("before\n");
      expect((await host().state(running()))._unsafeUnwrap().running).toBe(true);
      (await host().deleteSnapshot(running(), snap))._unsafeUnwrap();
      expect((await host().listSnapshots(running()))._unsafeUnwrap().map((s) => s.name)).not.toContain(snap);
      expectReason(await host().restoreSnapshot(running(), snap), "not_found");
    });

    it("returns not_found for every operation on a missing instance", async () => {
      expectReason(await host().start(missing()), "not_found");
      expectReason(await host().stop(missing()), "not_found");
      if (deletes) expectReason(await host().delete(missing()), "not_found");
      expectReason(await host().pullFile(missing(), "/etc/hostname"), "not_found");
      if (snapshots) expectReason(await host().listSnapshots(missing()), "not_found");
    });

    it.skipIf(deletes && snapshots)(
      "answers unsupported for what it declares it lacks, changing nothing",
      async () => {
        if (!deletes) expectReason(await host().delete(running(), { stopFirst: true }), "unsupported");
        if (!snapshots) {
          expectReason(await host().createSnapshot(running(), "bf-conformance-unsupported"), "unsupported");
          expectReason(await host().listSnapshots(running()), "unsupported");
        }
        expect((await host().state(running()))._unsafeUnwrap().running).toBe(true);
      },
    );

    it("rejects invalid names, paths and patterns with invalid_input, sending nothing", async () => {
      const before = ctx().fixtures.requests?.();
      for (const bad of BAD_NAMES) {
        expectReason(await host().state(bad), "invalid_input");
        expectReason(await host().start(bad), "invalid_input");
        expectReason(await host().stop(bad), "invalid_input");
        expectReason(await host().delete(bad, { stopFirst: true }), "invalid_input");
        expectReason(await host().shell(bad).run(["true"]), "invalid_input");
        expectReason(await host().pushFile(bad, "/tmp/x", "x"), "invalid_input");
        expectReason(await host().list({ names: [bad] }), "invalid_input");
      }
      expectReason(await host().pushFile(running(), "relative/path", "x"), "invalid_input");
      expectReason(await host().pullFile(running(), "/tmp/../etc/passwd"), "invalid_input");
      if (snapshots) expectReason(await host().createSnapshot(running(), "bad/snapshot"), "invalid_input");
      expectReason(await host().list({ pattern: "no spaces allowed" }), "invalid_input");
      expectReason(await host().list({ pattern: "{unclosed" }), "invalid_input");
      expectReason(await host().shell(running()).run([]), "invalid_input");
      if (before !== undefined) expect(ctx().fixtures.requests?.()).toBe(before);
    });
  });
}

function expectReason(result: { isErr(): boolean; _unsafeUnwrapErr(): DriverError }, reason: string): void {
  expect(result.isErr(), `expected a ${reason} error`).toBe(true);
  expect(result._unsafeUnwrapErr().reason).toBe(reason);
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
