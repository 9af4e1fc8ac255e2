import { describe, expect, it } from "vitest";
import type { DriverError } from "../errors/driver-error";
import type { Fence } from "../ports/lease-lock";
import type { RenderedConfig, SwitchRequest, TrafficState, TrafficSwitch } from "../ports/traffic-switch";
import type { ConformanceTarget } from "./conformance-target";
import { fixturePerTest } from "./fixture-per-test";

/** What the {@link runTrafficSwitchConformance} suite needs besides the driver. */
export interface TrafficSwitchFixtures {
  /** The active color at setup: the state file says it and the running proxy routes to it. */
  readonly activeColor: string;
  /** A switch to another color of the topology; the suite varies its `runId`. */
  readonly switchTo: SwitchRequest;
  /** The live file `install` replaces (the whole config, or the map), read behind the driver's back. */
  readonly readLive: () => Promise<string>;
  /** The history bound the driver was configured with (at least 2). */
  readonly historyLimit: number;
  /** Turns a rendered config into one `validate` must reject (default: appends a line no proxy accepts). */
  readonly breakConfig?: (config: RenderedConfig) => RenderedConfig;
  /** A color that is not in the topology (default `purple`). */
  readonly unknownColor?: string;
  /**
   * The names of the files in the live file's directory, read behind the driver's back;
   * without it the stray-file case is skipped.
   */
  readonly listBesideLive?: () => Promise<readonly string[]>;
  /**
   * Overwrites the kept previous file (`<live file>.prev`) behind the driver's back;
   * without it the restore-without-check case is skipped.
   */
  readonly writePrevious?: (content: string) => Promise<void>;
}

const broken = (config: RenderedConfig): RenderedConfig => ({
  ...config,
  content: `${config.content}\nthis line is not valid configuration {{ }}\n`,
});

/**
 * The `TrafficSwitch` contract, as vitest tests. Semantics every driver must keep:
 * `readState` gives the active color and the history newest first; `render` stamps a
 * revision naming the color and run into the content; `validate` rejects a broken config
 * without touching the live file; `install` keeps the previous file (and installing the
 * same config again keeps it too, so a resumed run can repeat it); `reload` + `confirm`
 * make the revision live, as `liveRevision` then reports, and `confirm` of another
 * revision fails; `record` writes the color and prepends one history line per run
 * (repeating a run's record adds nothing), bounded at the limit; `restorePrevious` puts
 * the replaced file back as it is, without checking it again (it was live; a restore
 * must not depend on the checker), and `not_found` when none is kept; `validate` leaves no
 * stray file beside the live one (a rejected candidate is removed; an accepted one is at
 * most one file, which `install` moves into place); `writeState` overwrites state and
 * history exactly; a color outside the topology is `invalid_input` and changes nothing.
 * Fencing: a write (`install`, `reload`, `record`, `restorePrevious`, `writeState`) under a
 * token older than one that already changed the switch for the same lease key is refused
 * with `conflict`, `details: { fenced: true, current }`, changing nothing; an equal or newer
 * token (or another key's, or another issuer's) is accepted and recorded; a write without a
 * fence is not checked.
 */
export function runTrafficSwitchConformance(
  target: ConformanceTarget<TrafficSwitch, TrafficSwitchFixtures>,
): void {
  describe.skipIf(target.skip)(`TrafficSwitch conformance: ${target.name}`, () => {
    const ctx = fixturePerTest(target);

    let counter = 0;
    const request = (overrides: Partial<SwitchRequest> = {}): SwitchRequest => ({
      ...ctx().fixtures.switchTo,
      runId: `conformance-${process.pid}-${++counter}`,
      ...overrides,
    });
    const state = async (): Promise<TrafficState> => (await ctx().port.readState())._unsafeUnwrap();
    const unknown = () => ctx().fixtures.unknownColor ?? "purple";
    const lease = (token: number, key = `conformance-${process.pid}`): Fence => ({ key, token });
    /** A write refused because a newer lease (token `current`) changed the switch already. */
    const expectFenced = (error: DriverError, current: number) => {
      expect(error.reason).toBe("conflict");
      expect(error.details).toMatchObject({ fenced: true, current });
      expect(error.message).toContain(String(current));
      expect(error.hint).toContain("do not retry");
    };

    it("reads the active color and the history, newest first", async () => {
      const s = await state();
      expect(s.activeColor).toBe(ctx().fixtures.activeColor);
      expect(ctx().port.colors).toContain(s.activeColor);
      expect(ctx().port.colors).toContain(ctx().fixtures.switchTo.color);
      expect(ctx().fixtures.switchTo.color).not.toBe(ctx().fixtures.activeColor);
      expect(Array.isArray(s.history)).toBe(true);
    });

    it("render stamps a revision naming the color and the run into the content", async () => {
      const req = request();
      const config = (await ctx().port.render(req))._unsafeUnwrap();
      expect(config.color).toBe(req.color);
      expect(config.revision).toContain(req.color);
      expect(config.revision).toContain(req.runId);
      expect(config.content).toContain(config.revision);
      const other = (await ctx().port.render(request()))._unsafeUnwrap();
      expect(other.revision).not.toBe(config.revision);
    });

    it("validate accepts a rendered config and rejects a broken one, the live file byte-identical", async () => {
      const before = await ctx().fixtures.readLive();
      const revision = (await ctx().port.liveRevision())._unsafeUnwrap();
      const config = (await ctx().port.render(request()))._unsafeUnwrap();
      expect((await ctx().port.validate(config)).isOk()).toBe(true);
      const rejected = await ctx().port.validate((ctx().fixtures.breakConfig ?? broken)(config));
      expect(rejected.isErr()).toBe(true);
      expect(["invalid_input", "failed"]).toContain(rejected._unsafeUnwrapErr().reason);
      expect(await ctx().fixtures.readLive()).toBe(before);
      expect((await ctx().port.liveRevision())._unsafeUnwrap()).toBe(revision);
    });

    it("install replaces the live file, keeps the previous one, and repeating it keeps it too", async () => {
      const before = await ctx().fixtures.readLive();
      const revision = (await ctx().port.liveRevision())._unsafeUnwrap();
      const config = (await ctx().port.render(request()))._unsafeUnwrap();
      (await ctx().port.validate(config))._unsafeUnwrap();
      const first = (await ctx().port.install(config))._unsafeUnwrap();
      expect(first.previousRevision).toBe(revision);
      expect(await ctx().fixtures.readLive()).toBe(config.content);
      // Installed, not live yet: the file on disk and the running proxy disagree until a reload.
      expect((await ctx().port.installedRevision())._unsafeUnwrap()).toBe(config.revision);
      expect((await ctx().port.liveRevision())._unsafeUnwrap()).toBe(revision);
      const again = (await ctx().port.install(config))._unsafeUnwrap();
      expect(again.previousRevision).toBe(revision);
      const restored = (await ctx().port.restorePrevious())._unsafeUnwrap();
      expect(restored.revision).toBe(revision);
      expect(await ctx().fixtures.readLive()).toBe(before);
      expect((await ctx().port.installedRevision())._unsafeUnwrap()).toBe(revision);
      // Restoring twice is harmless.
      expect((await ctx().port.restorePrevious())._unsafeUnwrap().revision).toBe(revision);
      expect(await ctx().fixtures.readLive()).toBe(before);
    });

    it("validate leaves no stray file beside the live one, and install uses its one candidate", async (t) => {
      const list = ctx().fixtures.listBesideLive;
      if (!list) return t.skip("the target passes no listBesideLive fixture");
      const before = new Set(await list());
      const added = async () => (await list()).filter((name) => !before.has(name));
      const config = (await ctx().port.render(request()))._unsafeUnwrap();
      expect((await ctx().port.validate((ctx().fixtures.breakConfig ?? broken)(config))).isErr()).toBe(true);
      expect(await added()).toEqual([]);
      (await ctx().port.validate(config))._unsafeUnwrap();
      const candidates = await added();
      expect(candidates.length).toBeLessThanOrEqual(1);
      // Validating the same content again reuses its candidate.
      (await ctx().port.validate(config))._unsafeUnwrap();
      expect(await added()).toEqual(candidates);
      (await ctx().port.install(config))._unsafeUnwrap();
      expect((await added()).filter((name) => !name.endsWith(".prev"))).toEqual([]);
    });

    it("restorePrevious puts back the kept file as it is, without checking it again", async (t) => {
      const writePrevious = ctx().fixtures.writePrevious;
      if (!writePrevious) return t.skip("the target passes no writePrevious fixture");
      const before = await ctx().fixtures.readLive();
      const config = (await ctx().port.render(request()))._unsafeUnwrap();
      (await ctx().port.validate(config))._unsafeUnwrap();
      (await ctx().port.install(config))._unsafeUnwrap();
      // A kept file the checker would reject (e.g. the proxy's config check changed since it was live).
      const rejected = (ctx().fixtures.breakConfig ?? broken)({ ...config, content: before }).content;
      await writePrevious(rejected);
      (await ctx().port.restorePrevious())._unsafeUnwrap();
      expect(await ctx().fixtures.readLive()).toBe(rejected);
    });

    it("restorePrevious with nothing kept is not_found and changes nothing", async () => {
      const before = await ctx().fixtures.readLive();
      const result = await ctx().port.restorePrevious();
      expect(result._unsafeUnwrapErr().reason).toBe("not_found");
      expect(await ctx().fixtures.readLive()).toBe(before);
    });

    it("reload makes the installed revision live, confirm and liveRevision agree, and undo brings the previous back", async () => {
      const revision = (await ctx().port.liveRevision())._unsafeUnwrap();
      const config = (await ctx().port.render(request()))._unsafeUnwrap();
      (await ctx().port.validate(config))._unsafeUnwrap();
      (await ctx().port.install(config))._unsafeUnwrap();
      (await ctx().port.reload())._unsafeUnwrap();
      (await ctx().port.confirm(config.revision))._unsafeUnwrap();
      expect((await ctx().port.liveRevision())._unsafeUnwrap()).toBe(config.revision);

      const restored = (await ctx().port.restorePrevious())._unsafeUnwrap();
      expect(restored.revision).toBe(revision);
      (await ctx().port.reload())._unsafeUnwrap();
      if (revision !== null) (await ctx().port.confirm(revision))._unsafeUnwrap();
      expect((await ctx().port.liveRevision())._unsafeUnwrap()).toBe(revision);
    });

    it("confirm of a revision the proxy does not run fails", async () => {
      const result = await ctx().port.confirm(`${ctx().fixtures.switchTo.color}:-:never-rendered`);
      expect(result._unsafeUnwrapErr().reason).toBe("failed");
    });

    it("record writes the active color and prepends one history line per run", async () => {
      const before = await state();
      const req = request();
      const recorded = (await ctx().port.record(req))._unsafeUnwrap();
      expect(recorded.activeColor).toBe(req.color);
      expect(recorded.history[0]).toMatchObject({ color: req.color, runId: req.runId, actor: req.actor });
      if (req.sha !== undefined) expect(recorded.history[0]?.sha).toBe(req.sha);
      expect(Number.isNaN(Date.parse(recorded.history[0]?.at ?? ""))).toBe(false);
      expect(recorded.history.slice(1)).toEqual(before.history.slice(0, ctx().fixtures.historyLimit - 1));
      expect(await state()).toEqual(recorded);
      // The same run recording again (a resumed run) adds nothing.
      const again = (await ctx().port.record(req))._unsafeUnwrap();
      expect(again).toEqual(recorded);
      expect(await state()).toEqual(recorded);
    });

    it("keeps the history bounded, newest first", async () => {
      const colors = [ctx().fixtures.switchTo.color, ctx().fixtures.activeColor];
      const ids: string[] = [];
      for (let i = 0; i < ctx().fixtures.historyLimit + 3; i++) {
        const req = request({ color: colors[i % 2] as string });
        ids.push(req.runId);
        (await ctx().port.record(req))._unsafeUnwrap();
      }
      const s = await state();
      expect(s.history).toHaveLength(ctx().fixtures.historyLimit);
      expect(s.history.map((e) => e.runId)).toEqual(ids.reverse().slice(0, ctx().fixtures.historyLimit));
      expect(s.activeColor).toBe(s.history[0]?.color);
    });

    it("writeState overwrites the active color and the history exactly", async () => {
      const before = await state();
      (await ctx().port.record(request()))._unsafeUnwrap();
      (await ctx().port.writeState(before))._unsafeUnwrap();
      expect(await state()).toEqual(before);
      const custom: TrafficState = {
        activeColor: ctx().fixtures.switchTo.color,
        history: [
          { at: "2026-01-02T03:04:05.000Z", color: ctx().fixtures.switchTo.color, runId: "r2", actor: "ops" },
          { at: "2026-01-01T03:04:05.000Z", color: ctx().fixtures.activeColor },
        ],
      };
      (await ctx().port.writeState(custom))._unsafeUnwrap();
      expect(await state()).toEqual(custom);
    });

    it("every write under a stale fence is refused as fenced, the state and the live file unchanged", async () => {
      const { port } = ctx();
      const revision = (await port.liveRevision())._unsafeUnwrap();
      const newer = (await port.render(request()))._unsafeUnwrap();
      (await port.validate(newer))._unsafeUnwrap();
      // The run holding token 7 installs (not yet reloaded) and records.
      (await port.install(newer, lease(7)))._unsafeUnwrap();
      const recorded = (await port.record(request(), lease(7)))._unsafeUnwrap();
      const live = await ctx().fixtures.readLive();

      const stale = lease(6);
      const config = (await port.render(request()))._unsafeUnwrap();
      (await port.validate(config))._unsafeUnwrap();
      expectFenced((await port.install(config, stale))._unsafeUnwrapErr(), 7);
      expectFenced((await port.reload(stale))._unsafeUnwrapErr(), 7);
      expectFenced((await port.restorePrevious(stale))._unsafeUnwrapErr(), 7);
      expectFenced((await port.record(request(), stale))._unsafeUnwrapErr(), 7);
      expectFenced(
        (
          await port.writeState({ ...recorded, activeColor: ctx().fixtures.activeColor }, stale)
        )._unsafeUnwrapErr(),
        7,
      );
      expect(await state()).toEqual(recorded);
      expect(await ctx().fixtures.readLive()).toBe(live);
      expect((await port.installedRevision())._unsafeUnwrap()).toBe(newer.revision);
      expect((await port.liveRevision())._unsafeUnwrap()).toBe(revision);
    });

    it("an equal or newer fence is accepted and recorded; another lease key or issuer is not compared", async () => {
      const { port } = ctx();
      const before = await state();
      (await port.record(request(), lease(7)))._unsafeUnwrap();
      (await port.record(request(), lease(7)))._unsafeUnwrap();
      (await port.writeState(before, lease(9)))._unsafeUnwrap();
      expect(await state()).toEqual(before);
      expectFenced((await port.record(request(), lease(8)))._unsafeUnwrapErr(), 9);
      const other = (await port.record(request(), lease(1, `other-${process.pid}`)))._unsafeUnwrap();
      expect(await state()).toEqual(other);
      // Another lease store's tokens are not ordered with these: its own are compared apart.
      const elsewhere = { ...lease(2), issuer: "file:elsewhere:/var/lib/backflip/locks" };
      const issued = (await port.record(request(), elsewhere))._unsafeUnwrap();
      expect(await state()).toEqual(issued);
      expectFenced((await port.writeState(before, { ...elsewhere, token: 1 }))._unsafeUnwrapErr(), 2);
      expectFenced((await port.writeState(before, lease(8)))._unsafeUnwrapErr(), 9);
      expect(await state()).toEqual(issued);
      expect((await port.restorePrevious(lease(9)))._unsafeUnwrapErr().reason).toBe("not_found");
    });

    it("a write without a fence is not checked, and a malformed fence is invalid_input changing nothing", async () => {
      const { port } = ctx();
      (await port.record(request(), lease(7)))._unsafeUnwrap();
      const req = request();
      const unfenced = (await port.record(req))._unsafeUnwrap();
      expect(unfenced.history[0]?.runId).toBe(req.runId);
      for (const bad of [lease(-1), lease(1.5), lease(3, "two words"), lease(3, "")]) {
        expect((await port.record(request(), bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
      }
      expect(await state()).toEqual(unfenced);
    });

    it("a color outside the topology is invalid_input and changes nothing", async () => {
      const before = await state();
      const live = await ctx().fixtures.readLive();
      const bad = request({ color: unknown() });
      expect((await ctx().port.render(bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect((await ctx().port.record(bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect(
        (await ctx().port.writeState({ ...before, activeColor: unknown() }))._unsafeUnwrapErr().reason,
      ).toBe("invalid_input");
      const config = (await ctx().port.render(request()))._unsafeUnwrap();
      const foreign = { ...config, color: unknown() };
      expect((await ctx().port.install(foreign))._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect(await state()).toEqual(before);
      expect(await ctx().fixtures.readLive()).toBe(live);
    });
  });
}
