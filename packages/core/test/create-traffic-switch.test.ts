import { errAsync, ok, okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { createTrafficSwitch } from "../src/driver-kit/create-traffic-switch";
import { driverErrorFor } from "../src/driver-kit/driver-error-for";
import { RemoteFiles } from "../src/driver-kit/remote-files";
import type { TrafficBackend } from "../src/driver-kit/traffic-backend";
import type { DriverError } from "../src/errors/driver-error";
import type { RenderedConfig } from "../src/ports/traffic-switch";
import { type ScriptedHost, scriptedHost } from "../src/testing/scripted-host";

const LIVE = "/etc/proxy/live.conf";
const STATE = { stateFile: "/var/lib/bf/active", historyFile: "/var/lib/bf/history", historyLimit: 3 };
const fail = driverErrorFor("fake");
const request = { color: "green", sha: "abcdef1", runId: "run-1", actor: "ops" };
const STAMP = /^rev (\S+)$/m;

/** A scripted proxy: `running` is the revision it serves; `check` rejects content containing `bad`. */
function fakeBackend(shell: ScriptedHost) {
  const checked: string[] = [];
  const proxy = {
    running: "blue:-:boot" as string | null,
    /** What the next liveRevision calls answer before the real one (errors or values). */
    answers: [] as (DriverError | string | null)[],
    /** When false, activate does not change what the proxy serves (a reload the proxy rejected). */
    takes: true,
    activations: 0,
  };
  const backend: TrafficBackend = {
    name: "fake",
    livePath: LIVE,
    location: { kind: "ssh", host: "proxy.example" },
    render: (r, revision) => ok(`route ${r.color}\nrev ${revision}\n`),
    revisionOf: (content) => STAMP.exec(content)?.[1] ?? null,
    check: (path, content) => {
      checked.push(path);
      if (shell.text(path) !== content) return errAsync(fail("validate", "failed", "not staged"));
      return content.includes("bad")
        ? errAsync(fail("validate", "invalid_input", "bad line"))
        : okAsync(undefined);
    },
    activate: () => {
      proxy.activations++;
      const live = shell.text(LIVE);
      if (proxy.takes && live !== undefined) proxy.running = STAMP.exec(live)?.[1] ?? null;
      return okAsync(undefined);
    },
    liveRevision: () => {
      const next = proxy.answers.shift();
      if (next === undefined) return okAsync(proxy.running);
      return typeof next === "object" && next !== null ? errAsync(next) : okAsync(next);
    },
    describe: (operation, path) => [
      { kind: "exec", where: { kind: "ssh", host: "proxy.example" }, argv: ["fake", operation, path] },
    ],
    stampHint: "stamp `rev {{revision}}`",
  };
  return { backend, checked, proxy };
}

function setup(files: Record<string, string> = {}) {
  const shell = scriptedHost({
    location: { kind: "local" },
    files: { [LIVE]: "route blue\nrev blue:-:boot\n", [STATE.stateFile]: "blue\n", ...files },
  });
  const fake = fakeBackend(shell);
  const sw = createTrafficSwitch({
    backend: fake.backend,
    files: new RemoteFiles(shell, { driver: "fake" }),
    colors: ["blue", "green"],
    state: STATE,
    confirmTimeoutMs: 200,
    now: () => new Date("2026-12-07T00:00:00.000Z"),
  })._unsafeUnwrap();
  const others = () => [...shell.fs.keys()].filter((p) => !p.startsWith("/var/lib/bf/")).sort();
  return { shell, sw, ...fake, others };
}

const render = async (sw: ReturnType<typeof setup>["sw"], overrides = {}): Promise<RenderedConfig> =>
  (await sw.render({ ...request, ...overrides }))._unsafeUnwrap();

describe("createTrafficSwitch", () => {
  it("refuses bad options as invalid_input of the backend's driver", () => {
    const shell = scriptedHost({ location: { kind: "local" } });
    const error = createTrafficSwitch({
      backend: fakeBackend(shell).backend,
      files: new RemoteFiles(shell, { driver: "fake" }),
      colors: ["blue", "green"],
      state: { ...STATE, stateFile: "relative/active" },
    })._unsafeUnwrapErr();
    expect(error).toMatchObject({ driver: "fake", op: "create", reason: "invalid_input" });
    expect(error.message).toContain("state.stateFile");
  });

  it("render stamps color:sha:runId, and a backend that does not stamp it is invalid_input with its hint", async () => {
    const { sw, backend } = setup();
    const config = await render(sw);
    expect(config).toEqual({
      revision: "green:abcdef1:run-1",
      color: "green",
      content: "route green\nrev green:abcdef1:run-1\n",
    });
    backend.render = () => ok("route green\n");
    const error = (await sw.render(request))._unsafeUnwrapErr();
    expect(error).toMatchObject({ op: "render", reason: "invalid_input", hint: "stamp `rev {{revision}}`" });
  });

  it("validate checks a hidden candidate beside the live file; a rejected one is removed, the live file untouched", async () => {
    const { sw, shell, checked, others } = setup();
    const config = await render(sw);
    const bad = { ...config, content: `${config.content}bad\n` };
    expect((await sw.validate(bad))._unsafeUnwrapErr()).toMatchObject({
      op: "validate",
      reason: "invalid_input",
    });
    expect(checked[0]).toMatch(/^\/etc\/proxy\/\.live\.conf\.backflip-[0-9a-f]{16}-[0-9a-f]{8}\.new$/);
    expect(others()).toEqual([LIVE]);
    (await sw.validate(config))._unsafeUnwrap();
    expect(others()).toEqual([checked[1], LIVE].sort());
    // Validated again: the same candidate, written again.
    (await sw.validate(config))._unsafeUnwrap();
    expect(checked[2]).toBe(checked[1]);
    expect(others()).toEqual([checked[1], LIVE].sort());
    expect(shell.text(LIVE)).toBe("route blue\nrev blue:-:boot\n");
  });

  it("a backend whose check reads only the content is checked while the candidate is written; a rejected one leaves no file", async () => {
    const { sw, shell, backend, others } = setup();
    const written: boolean[] = [];
    Object.assign(backend, {
      checksContentOnly: true,
      check: (path: string, content: string) => {
        written.push(shell.text(path) !== undefined);
        return content.includes("bad")
          ? errAsync(fail("validate", "invalid_input", "bad line"))
          : okAsync(undefined);
      },
    });
    const config = await render(sw);
    const bad = { ...config, content: `${config.content}bad\n` };
    expect((await sw.validate(bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(others()).toEqual([LIVE]);
    (await sw.validate(config))._unsafeUnwrap();
    expect(written).toEqual([false, false]);
    expect(others()).toHaveLength(2);
    (await sw.install(config))._unsafeUnwrap();
    expect(shell.text(LIVE)).toBe(config.content);
    expect(others()).toEqual([LIVE, `${LIVE}.prev`]);
  });

  it("install moves the validated candidate into place without checking it again, keeping .prev; again is a no-op", async () => {
    const { sw, shell, checked, others } = setup();
    const config = await render(sw);
    (await sw.validate(config))._unsafeUnwrap();
    expect((await sw.install(config))._unsafeUnwrap()).toEqual({ previousRevision: "blue:-:boot" });
    expect(checked).toHaveLength(1);
    expect(shell.text(LIVE)).toBe(config.content);
    expect(shell.text(`${LIVE}.prev`)).toBe("route blue\nrev blue:-:boot\n");
    expect(others()).toEqual([LIVE, `${LIVE}.prev`]);
    expect((await sw.installedRevision())._unsafeUnwrap()).toBe(config.revision);
    expect((await sw.install(config))._unsafeUnwrap()).toEqual({ previousRevision: "blue:-:boot" });
    expect(shell.text(`${LIVE}.prev`)).toBe("route blue\nrev blue:-:boot\n");
  });

  it("install keeps .prev without rewriting it: a hard link where the Shell's files link, `ln -f` without files, else a copy", async () => {
    const previous = "route blue\nrev blue:-:boot\n";
    const { sw, shell } = setup({ [`${LIVE}.prev`]: "older\n" });
    (await sw.install(await render(sw)))._unsafeUnwrap();
    expect(shell.text(`${LIVE}.prev`)).toBe(previous);
    expect(shell.fileOps.filter((o) => o.path === LIVE || o.to === LIVE).map((o) => o.op)).toEqual([
      "read",
      "link",
      "rename",
    ]);
    expect(shell.fileOps.some((o) => o.op === "write" && o.path.includes(".prev"))).toBe(false);

    for (const fileApi of [false, true]) {
      const host = scriptedHost({ location: { kind: "local" }, fileApi, files: { [LIVE]: previous } });
      if (fileApi) delete (host.files as { link?: unknown }).link;
      const sw2 = createTrafficSwitch({
        backend: fakeBackend(host).backend,
        files: new RemoteFiles(host, { driver: "fake" }),
        colors: ["blue", "green"],
        state: STATE,
      })._unsafeUnwrap();
      (await sw2.install(await render(sw2)))._unsafeUnwrap();
      expect(host.text(`${LIVE}.prev`)).toBe(previous);
      expect(host.calls.some((c) => c.argv[0] === "ln")).toBe(!fileApi);
    }
  });

  it("install falls back to copying .prev when linking fails", async () => {
    const previous = "route blue\nrev blue:-:boot\n";
    const host = scriptedHost({
      location: { kind: "local" },
      fileApi: false,
      files: { [LIVE]: previous },
      programs: { ln: () => ({ exitCode: 1, stderr: "ln: Operation not permitted\n" }) },
    });
    const sw = createTrafficSwitch({
      backend: fakeBackend(host).backend,
      files: new RemoteFiles(host, { driver: "fake" }),
      colors: ["blue", "green"],
      state: STATE,
    })._unsafeUnwrap();
    const config = await render(sw);
    (await sw.install(config))._unsafeUnwrap();
    expect(host.text(`${LIVE}.prev`)).toBe(previous);
    expect(host.text(LIVE)).toBe(config.content);
  });

  it("install checks what was not validated (or whose candidate vanished); a rejected config changes nothing", async () => {
    const { sw, shell, checked } = setup({ [`${LIVE}.prev`]: "older\n" });
    const config = await render(sw);
    (await sw.validate(config))._unsafeUnwrap();
    shell.fs.delete(checked[0] as string);
    (await sw.install(config))._unsafeUnwrap();
    expect(checked).toHaveLength(2);
    const bad = { ...(await render(sw, { runId: "run-2" })) };
    const rejected = { ...bad, content: `${bad.content}bad\n` };
    expect((await sw.install(rejected)).isErr()).toBe(true);
    expect(shell.text(LIVE)).toBe(config.content);
    expect(shell.text(`${LIVE}.prev`)).toBe("route blue\nrev blue:-:boot\n");
  });

  it("install refuses a config that is not render()'s: a foreign color or a revision its content does not stamp", async () => {
    const { sw, shell } = setup();
    const config = await render(sw);
    expect((await sw.install({ ...config, color: "purple" }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect((await sw.install({ ...config, revision: "green:-:other" }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect(shell.fs.has(`${LIVE}.prev`)).toBe(false);
  });

  it("restorePrevious puts .prev back as it is, without checking it; not_found when nothing is kept", async () => {
    const { sw, shell, checked } = setup();
    expect((await sw.restorePrevious())._unsafeUnwrapErr().reason).toBe("not_found");
    const config = await render(sw);
    (await sw.install(config))._unsafeUnwrap();
    shell.write(`${LIVE}.prev`, "route blue\nbad\nrev blue:-:boot\n");
    expect((await sw.restorePrevious())._unsafeUnwrap()).toEqual({ revision: "blue:-:boot" });
    expect(shell.text(LIVE)).toBe("route blue\nbad\nrev blue:-:boot\n");
    expect(checked).toHaveLength(1);
  });

  it("confirm waits for the proxy to serve the revision, retrying unavailable; a reload that did not take is failed", async () => {
    const { sw, proxy } = setup();
    const config = await render(sw);
    (await sw.install(config))._unsafeUnwrap();
    (await sw.reload())._unsafeUnwrap();
    proxy.answers.push(fail("liveRevision", "unavailable", "socket gone"), "blue:-:boot");
    (await sw.confirm(config.revision))._unsafeUnwrap();
    expect(proxy.answers).toEqual([]);
    proxy.takes = false;
    const other = await render(sw, { color: "blue", runId: "run-2" });
    (await sw.install(other))._unsafeUnwrap();
    (await sw.reload())._unsafeUnwrap();
    const error = (await sw.confirm(other.revision))._unsafeUnwrapErr();
    expect(error).toMatchObject({ op: "confirm", reason: "failed", details: { live: config.revision } });
    expect(error.message).toContain(`still reports revision ${config.revision}`);
  });

  it("confirm stops at an error not worth retrying, and liveRevision gives up on unavailable only after its grace", async () => {
    const { sw, proxy } = setup();
    proxy.answers.push(fail("liveRevision", "unauthorized", "denied"));
    const error = (await sw.confirm("green:-:x"))._unsafeUnwrapErr();
    expect(error).toMatchObject({ op: "confirm", reason: "unauthorized" });
    expect(error.message).toContain("could not confirm revision green:-:x: denied");
    proxy.answers.push(fail("x", "unavailable", "reloading"));
    expect((await sw.liveRevision())._unsafeUnwrap()).toBe("blue:-:boot");
  });

  it("record prepends one line per run, bounded, the color first; the same run again adds nothing; writeState is exact", async () => {
    const { sw, shell } = setup();
    for (const [i, color] of ["green", "blue", "green", "blue"].entries()) {
      (await sw.record({ ...request, color, runId: `run-${i}` }))._unsafeUnwrap();
    }
    const state = (await sw.readState())._unsafeUnwrap();
    expect(state.activeColor).toBe("blue");
    expect(state.history.map((e) => e.runId)).toEqual(["run-3", "run-2", "run-1"]);
    expect(shell.text(STATE.historyFile)?.split("\n")[0]).toBe(
      "2026-12-07T00:00:00.000Z blue abcdef1 run-3 ops",
    );
    shell.write(STATE.stateFile, "green\n");
    expect((await sw.record({ ...request, color: "blue", runId: "run-3" }))._unsafeUnwrap()).toEqual(state);
    expect(shell.text(STATE.stateFile)).toBe("blue\n");
    const exact = { activeColor: "green", history: [{ at: "2026-01-01T00:00:00Z", color: "green" }] };
    (await sw.writeState(exact))._unsafeUnwrap();
    expect((await sw.readState())._unsafeUnwrap()).toEqual(exact);
    expect((await sw.writeState({ ...exact, activeColor: "purple" }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
  });

  it("a missing active-color file is not_found naming it; a foreign color in it is failed", async () => {
    const { sw, shell } = setup();
    shell.fs.delete(STATE.stateFile);
    expect((await sw.readState())._unsafeUnwrapErr()).toMatchObject({
      driver: "fake",
      reason: "not_found",
      details: { path: STATE.stateFile },
    });
    shell.write(STATE.stateFile, "purple\n");
    expect((await sw.readState())._unsafeUnwrapErr().reason).toBe("failed");
  });

  it("fencing: an old state without a fence file works; the first fenced write records its token, an equal one rewrites nothing", async () => {
    const { sw, shell } = setup();
    const fenceFile = `${STATE.stateFile}.fence`;
    (await sw.record({ ...request, runId: "run-0" }))._unsafeUnwrap();
    expect(shell.fs.has(fenceFile)).toBe(false);
    (await sw.record(request, { key: "staging", token: 5 }))._unsafeUnwrap();
    expect(shell.text(fenceFile)).toBe("staging 5\n");
    const writes = () => shell.fileOps.filter((o) => o.op === "write" && o.path === fenceFile).length;
    const before = writes();
    const config = await render(sw, { runId: "run-2" });
    (await sw.install(config, { key: "staging", token: 5 }))._unsafeUnwrap();
    (await sw.reload({ key: "staging", token: 5 }))._unsafeUnwrap();
    expect(writes()).toBe(before);
    (await sw.restorePrevious({ key: "staging", token: 6 }))._unsafeUnwrap();
    expect(shell.text(fenceFile)).toBe("staging 6\n");
    expect(shell.text(LIVE)).toBe("route blue\nrev blue:-:boot\n");
  });

  it("fencing: a stale token is refused before the switch writes anything (it may read meanwhile)", async () => {
    const fenceFile = `${STATE.stateFile}.fence`;
    const { sw, shell, proxy, checked } = setup({ [fenceFile]: "staging 7\n" });
    const config = await render(sw);
    const stale = { key: "staging", token: 6 };
    shell.fileOps.length = 0;
    const refusals = [
      await sw.install(config, stale),
      await sw.reload(stale),
      await sw.restorePrevious(stale),
      await sw.record(request, stale),
      await sw.writeState({ activeColor: "green", history: [] }, stale),
    ];
    expect(refusals.map((r) => r._unsafeUnwrapErr())).toMatchObject(
      ["install", "reload", "restorePrevious", "record", "writeState"].map((op) => ({
        driver: "fake",
        op,
        reason: "conflict",
        details: { fenced: true, key: "staging", token: 6, current: 7, path: fenceFile },
      })),
    );
    // The fence is read once per write; what else is read overlaps it (install reads the
    // live file, restore `.prev` and the live file, record the history); nothing is written.
    expect(shell.fileOps.filter((o) => o.path === fenceFile)).toEqual(
      refusals.map(() => ({ op: "read", path: fenceFile })),
    );
    expect(shell.fileOps.filter((o) => o.op !== "read")).toEqual([]);
    expect(checked).toEqual([]);
    expect(proxy.activations).toBe(0);
    expect(shell.text(STATE.stateFile)).toBe("blue\n");
  });

  it("fencing: an unreadable fence file is failed and the write is not made; a malformed fence is invalid_input", async () => {
    const fenceFile = `${STATE.stateFile}.fence`;
    const { sw, shell } = setup({ [fenceFile]: "staging seven\n" });
    const error = (await sw.record(request, { key: "staging", token: 8 }))._unsafeUnwrapErr();
    expect(error).toMatchObject({ op: "record", reason: "failed", details: { path: fenceFile, line: 1 } });
    expect(shell.text(STATE.stateFile)).toBe("blue\n");
    const bad = { key: "staging", token: Number.NaN };
    expect((await sw.record(request, bad))._unsafeUnwrapErr()).toMatchObject({
      op: "record",
      reason: "invalid_input",
    });
    expect(shell.text(fenceFile)).toBe("staging seven\n");
  });

  it("describes each operation as file actions at the backend's location plus the backend's own", () => {
    const { sw } = setup();
    const at = { kind: "ssh", host: "proxy.example" };
    expect(sw.describe("readState", { color: "green" })).toEqual([
      { kind: "file", op: "read", where: at, path: STATE.stateFile },
      { kind: "file", op: "read", where: at, path: STATE.historyFile },
    ]);
    const validate = sw.describe("validate", { color: "green", sha: "abcdef1" });
    expect(validate[0]).toEqual({ kind: "note", text: `render ${LIVE} for green (sha abcdef1)` });
    expect(validate.slice(1)).toEqual([
      { kind: "file", op: "write", where: at, path: "/etc/proxy/.live.conf.backflip-<hash>.new" },
      { kind: "exec", where: at, argv: ["fake", "check", "/etc/proxy/.live.conf.backflip-<hash>.new"] },
    ]);
    expect(
      sw.describe("activate", { color: "green" }).map((a) => (a.kind === "exec" ? a.argv[1] : a.kind)),
    ).toEqual(["file", "file", "activate", "confirm"]);
    expect(sw.describe("restore", { color: "green" })).toEqual([
      { kind: "file", op: "read", where: at, path: `${LIVE}.prev` },
      { kind: "file", op: "write", where: at, path: LIVE },
    ]);
  });
});
