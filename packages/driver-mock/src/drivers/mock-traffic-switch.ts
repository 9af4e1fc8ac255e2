import type {
  Action,
  DriverError,
  Fence,
  RenderedConfig,
  SwitchRequest,
  TrafficOperation,
  TrafficState,
  TrafficSwitch,
} from "@backflip/core";
import {
  actorSchema,
  admitFence,
  fenceFileOf,
  fenceSchema,
  formatFenceRecord,
  parseFenceRecord,
  parseInput,
  runIdSchema,
  shaSchema,
  simpleNameSchema,
} from "@backflip/core/driver-kit";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import type { FleetOp } from "../fleet-ops";
import {
  checkHaproxyConfig,
  parseHaproxyConfig,
  renderHaproxyConfig,
  revisionOf,
} from "../world/haproxy-files";
import {
  haproxyOf,
  installConfig,
  readText,
  trafficState,
  writeText,
  writeTrafficState,
} from "../world/world-actions";
import type { ContainerState, WorldState } from "../world/world-state";
import { type FleetRuntime, methodOf, opError, operation } from "./operation";

const DRIVER = "mock-traffic";

/**
 * The simulated HAProxy traffic switch: the config, its `.prev`, the state file and the
 * history live as files in the HAProxy container; the running proxy's loaded config is
 * process memory that only {@link reload} changes. Revisions are `color:sha:runId`.
 * Repeating an install or a run's record (a resumed run) changes nothing more. Writes
 * given a fence are fenced as the driver kit's switches are: the newest token per lease key
 * is kept in `<stateFile>.fence` in the container, and an older one is refused (`conflict`).
 */
export class MockTrafficSwitch implements TrafficSwitch {
  /** What step titles and dry runs call it (errors name the driver, `mock-traffic`). */
  readonly name = "simulated HAProxy";
  readonly colors: readonly string[];
  readonly #requestSchema;
  readonly #stateSchema;

  constructor(
    readonly world: WorldState,
    readonly runtime: FleetRuntime,
  ) {
    this.colors = [...world.topology.colors];
    const color = z.enum(world.topology.colors, { message: `expected one of ${this.colors.join(", ")}` });
    this.#requestSchema = z.object({
      color,
      sha: shaSchema.optional(),
      runId: runIdSchema,
      actor: actorSchema,
    });
    this.#stateSchema = z.object({
      activeColor: color,
      history: z.array(
        z.object({
          at: z.iso.datetime({ offset: true }),
          color: simpleNameSchema,
          sha: shaSchema.optional(),
          runId: runIdSchema.optional(),
          actor: actorSchema.optional(),
        }),
      ),
    });
  }

  #proxy(op: FleetOp, running = false): Result<ContainerState, DriverError> {
    const proxy = haproxyOf(this.world);
    if (!proxy)
      return err(
        opError(
          op,
          "unavailable",
          `the HAProxy container ${this.world.layout.proxy.container} does not exist`,
        ),
      );
    if (running && proxy.status !== "Running")
      return err(
        opError(op, "unavailable", `HAProxy is not running (${proxy.name} is ${proxy.status})`, {
          hint: `incus start ${proxy.name}`,
        }),
      );
    return ok(proxy);
  }

  /** Validates the fence a write is given (none: the write is not fenced). */
  #fence(op: FleetOp, fence: Fence | undefined): Result<Fence | undefined, DriverError> {
    return fence === undefined
      ? ok(undefined)
      : parseInput(fenceSchema, fence, { driver: DRIVER, op: methodOf(op) });
  }

  /** Admits a write under `fence` against the container's fence file, recording a newer token. */
  #admit(op: FleetOp, proxy: ContainerState, fence: Fence | undefined): Result<ContainerState, DriverError> {
    if (fence === undefined) return ok(proxy);
    const path = fenceFileOf(this.world.topology.traffic.stateFile);
    const source = { driver: DRIVER, op: methodOf(op), path };
    return parseFenceRecord(readText(proxy, path) ?? "", source)
      .andThen((record) => admitFence(record, fence, source))
      .map((next) => {
        if (next !== null) writeText(proxy, path, formatFenceRecord(next));
        return proxy;
      });
  }

  readState(): ResultAsync<TrafficState, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.readState" },
      () => ok(undefined),
      () =>
        this.#proxy("traffic.readState").andThen(() => {
          const state = trafficState(this.world);
          return state
            ? ok(state)
            : err(
                opError(
                  "traffic.readState",
                  "not_found",
                  `${this.world.topology.traffic.stateFile} is missing or empty`,
                ),
              );
        }),
    );
  }

  render(request: SwitchRequest): ResultAsync<RenderedConfig, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.render" },
      () => parseInput(this.#requestSchema, request, { driver: DRIVER, op: "render" }),
      (r) => {
        const revision = revisionOf(r.color, r.sha, r.runId);
        return ok({
          revision,
          color: r.color,
          content: renderHaproxyConfig(this.world.topology, r.color, revision),
        });
      },
    );
  }

  #configInput(op: FleetOp, config: RenderedConfig): Result<RenderedConfig, DriverError> {
    return parseInput(
      z.object({ revision: z.string().min(1), color: z.string().min(1), content: z.string().min(1) }),
      config,
      { driver: DRIVER, op: op.slice(8) },
    );
  }

  #check(config: RenderedConfig): string[] {
    const problems = checkHaproxyConfig(this.world.topology, config.content);
    const parsed = parseHaproxyConfig(config.content);
    if (parsed.revision !== null && parsed.revision !== config.revision)
      problems.push(`[ALERT] config: stamped revision ${parsed.revision} is not ${config.revision}`);
    if (parsed.color !== null && parsed.color !== config.color)
      problems.push(`[ALERT] config: routes to ${parsed.color}, not ${config.color}`);
    return problems;
  }

  validate(config: RenderedConfig): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.validate" },
      () => this.#configInput("traffic.validate", config),
      (c) =>
        this.#proxy("traffic.validate").andThen(() => {
          const problems = this.#check(c);
          return problems.length === 0
            ? ok(undefined)
            : err(
                opError(
                  "traffic.validate",
                  "failed",
                  `haproxy -c rejected the config: ${problems.join("; ")}`,
                  {
                    hint: "the running config was not touched; fix the template or the topology",
                    details: { exitCode: 1, output: problems.join("\n") },
                  },
                ),
              );
        }),
    );
  }

  install(
    config: RenderedConfig,
    fence?: Fence,
  ): ResultAsync<{ previousRevision: string | null }, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.install" },
      () =>
        this.#configInput("traffic.install", config).andThen((c) => {
          const problems = this.#check(c);
          return problems.length === 0
            ? this.#fence("traffic.install", fence).map(() => c)
            : err(
                opError(
                  "traffic.install",
                  "invalid_input",
                  `refusing a config that does not validate: ${problems.join("; ")}`,
                ),
              );
        }),
      (c) =>
        this.#proxy("traffic.install")
          .andThen((proxy) => this.#admit("traffic.install", proxy, fence))
          .map((proxy) => ({
            previousRevision: installConfig(this.world, proxy, c.content),
          })),
    );
  }

  reload(fence?: Fence): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.reload" },
      () => this.#fence("traffic.reload", fence),
      () =>
        this.#proxy("traffic.reload", true)
          .andThen((proxy) => this.#admit("traffic.reload", proxy, fence))
          .andThen((proxy) => {
            const installed = readText(proxy, this.world.layout.proxy.configPath);
            if (installed === null)
              return err(
                opError(
                  "traffic.reload",
                  "failed",
                  `${this.world.layout.proxy.configPath} is missing: nothing to load`,
                ),
              );
            const problems = checkHaproxyConfig(this.world.topology, installed);
            if (problems.length > 0)
              return err(
                opError(
                  "traffic.reload",
                  "failed",
                  `reload refused, the old config keeps serving: ${problems.join("; ")}`,
                ),
              );
            this.world.loadedConfig = installed;
            return ok(undefined);
          }),
    );
  }

  installedRevision(): ResultAsync<string | null, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.installedRevision" },
      () => ok(undefined),
      () =>
        this.#proxy("traffic.installedRevision", true).map((proxy) => {
          const installed = readText(proxy, this.world.layout.proxy.configPath);
          return installed === null ? null : parseHaproxyConfig(installed).revision;
        }),
    );
  }

  liveRevision(): ResultAsync<string | null, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.liveRevision" },
      () => ok(undefined),
      () =>
        this.#proxy("traffic.liveRevision", true).map(() =>
          this.world.loadedConfig === null ? null : parseHaproxyConfig(this.world.loadedConfig).revision,
        ),
    );
  }

  confirm(revision: string): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.confirm" },
      () => parseInput(z.string().min(1), revision, { driver: DRIVER, op: "confirm" }),
      (expected) =>
        this.#proxy("traffic.confirm", true).andThen(() => {
          const live =
            this.world.loadedConfig === null ? null : parseHaproxyConfig(this.world.loadedConfig).revision;
          return live === expected
            ? ok(undefined)
            : err(
                opError(
                  "traffic.confirm",
                  "failed",
                  `the running proxy has ${live ?? "no stamped"} revision loaded, not ${expected}`,
                  {
                    details: { expected, live },
                  },
                ),
              );
        }),
    );
  }

  record(request: SwitchRequest, fence?: Fence): ResultAsync<TrafficState, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.record" },
      () =>
        parseInput(this.#requestSchema, request, { driver: DRIVER, op: "record" }).andThen((r) =>
          this.#fence("traffic.record", fence).map(() => r),
        ),
      (r) =>
        this.#proxy("traffic.record")
          .andThen((proxy) => this.#admit("traffic.record", proxy, fence))
          .map((proxy) => {
            const history = trafficState(this.world)?.history ?? [];
            const head = history[0];
            if (head?.runId === r.runId && head.color === r.color) {
              writeTrafficState(this.world, proxy, { activeColor: r.color, history });
              return trafficState(this.world) ?? { activeColor: r.color, history };
            }
            const entry = {
              at: this.runtime.clock.now().toISOString(),
              color: r.color,
              ...(r.sha === undefined ? {} : { sha: r.sha }),
              runId: r.runId,
              actor: r.actor,
            };
            writeTrafficState(this.world, proxy, { activeColor: r.color, history: [entry, ...history] });
            return trafficState(this.world) ?? { activeColor: r.color, history: [entry] };
          }),
    );
  }

  restorePrevious(fence?: Fence): ResultAsync<{ revision: string | null }, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.restorePrevious" },
      () => this.#fence("traffic.restorePrevious", fence),
      () =>
        this.#proxy("traffic.restorePrevious")
          .andThen((proxy) => this.#admit("traffic.restorePrevious", proxy, fence))
          .andThen((proxy) => {
            const path = this.world.layout.proxy.configPath;
            const previous = readText(proxy, `${path}.prev`);
            if (previous === null)
              return err(
                opError(
                  "traffic.restorePrevious",
                  "not_found",
                  `${path}.prev is missing: nothing to restore`,
                ),
              );
            writeText(proxy, path, previous);
            return ok({ revision: parseHaproxyConfig(previous).revision });
          }),
    );
  }

  writeState(state: TrafficState, fence?: Fence): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "traffic.writeState" },
      () =>
        parseInput(this.#stateSchema, state, { driver: DRIVER, op: "writeState" }).andThen((s) =>
          this.#fence("traffic.writeState", fence).map(() => s),
        ),
      (s) =>
        this.#proxy("traffic.writeState")
          .andThen((proxy) => this.#admit("traffic.writeState", proxy, fence))
          .map((proxy) => writeTrafficState(this.world, proxy, s)),
    );
  }

  /** The commands the simulated HAProxy container would run, as if it were a real one under Incus. */
  describe(
    operation: TrafficOperation,
    request: { readonly color: string; readonly sha?: string },
  ): readonly Action[] {
    const { container, configPath } = this.world.layout.proxy;
    const { stateFile, historyFile } = this.world.topology.traffic;
    const where = { kind: "incus", instance: container } as const;
    const candidate = `${configPath}.new`;
    const file = (op: "read" | "write", path: string): Action => ({ kind: "file", op, where, path });
    switch (operation) {
      case "readState":
        return [file("read", stateFile), file("read", historyFile)];
      case "validate":
        return [
          {
            kind: "note",
            text: `render ${configPath} for ${request.color}${request.sha ? ` (sha ${request.sha})` : ""}`,
          },
          file("write", candidate),
          { kind: "exec", where, argv: ["haproxy", "-c", "-f", candidate] },
        ];
      case "activate":
        return [
          file("write", `${configPath}.prev`),
          { kind: "file", op: "rename", where, path: candidate, to: configPath },
          { kind: "note", text: "reload the simulated HAProxy, then confirm it serves the new revision" },
        ];
      case "record":
        return [file("write", stateFile), file("write", historyFile)];
      case "restore":
        return [file("read", `${configPath}.prev`), file("write", configPath)];
    }
  }
}
