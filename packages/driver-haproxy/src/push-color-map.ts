import type { DriverError } from "@backflip/core";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { backendName } from "./config-template";
import { haproxyError } from "./haproxy-error";
import type { ColorMap } from "./map-file";
import { MAP_REVISION_KEY } from "./revision";
import type { RuntimeSession } from "./runtime-api";

/** What a runtime-map push needs to know. */
export interface PushMapInput {
  /** The session {@link prepareMapVersion} ran on (its requests share one connection where the transport can). */
  readonly api: Pick<RuntimeSession, "send">;
  readonly mapFile: string;
  readonly map: ColorMap;
  /** The empty version {@link prepareMapVersion} created for this push. */
  readonly version: string;
  readonly components: readonly string[];
  readonly colors: readonly string[];
  /** Set the other colors' servers to `drain` once the map is committed (and this color's to `ready` before). */
  readonly drain: boolean;
}

/** The color every component's entry of `map` points to, or `null` when they disagree. */
export function mapColor(
  map: ColorMap,
  components: readonly string[],
  colors: readonly string[],
): string | null {
  const byKey = new Map(map.entries.map((e) => [e.key, e.value]));
  return colors.find((color) => components.every((c) => byKey.get(c) === backendName(c, color))) ?? null;
}

/** A non-empty reply to a command that answers nothing on success is HAProxy's error message. */
function expectSilence(reply: string, what: string, mapFile: string): ResultAsync<void, DriverError> {
  const text = reply.trim();
  if (text === "") return okAsync(undefined);
  return errAsync(
    haproxyError("reload", "failed", `HAProxy refused ${what} on ${mapFile}: ${text.slice(0, 500)}`, {
      hint: "the running map is unchanged (the new version is only prepared); check the map path in the running config",
      details: { reply: text.slice(0, 2000) },
    }),
  );
}

/**
 * `prepare map`: a new, empty version of the running map, its number. A version never
 * committed changes nothing (the next commit drops it).
 */
export function prepareMapVersion(
  api: Pick<RuntimeSession, "send">,
  mapFile: string,
): ResultAsync<string, DriverError> {
  return api.send(`prepare map ${mapFile}`).andThen((reply) => {
    const version = /New version created:\s*(\d+)/.exec(reply)?.[1];
    return version === undefined
      ? errAsync(
          haproxyError(
            "reload",
            "failed",
            `HAProxy refused \`prepare map ${mapFile}\`: ${reply.trim().slice(0, 500)}`,
            {
              hint: `does the running config use ${mapFile} (\`show map\` lists the maps it loaded)? Install the map-mode config first`,
            },
          ),
        )
      : okAsync(version);
  });
}

/**
 * Replaces the running map atomically in the version `prepareMapVersion` made: `add map
 * @N` for the revision and every component, then `commit map @N` — HAProxy switches all
 * entries at once and nothing is reloaded; nothing is committed when an entry is refused.
 * With `drain`, the new color's servers are set `ready` before the commit and the other
 * colors' servers `drain` after it.
 */
export function pushColorMap(input: PushMapInput): ResultAsync<void, DriverError> {
  const { api, mapFile, map, version } = input;
  const color = mapColor(map, input.components, input.colors);
  if (color === null) {
    return errAsync(
      haproxyError(
        "reload",
        "invalid_input",
        `the map ${mapFile} does not route every component to one color`,
        {
          hint: "render the map with the driver (one backend per component, all of one color)",
        },
      ),
    );
  }
  const servers = input.drain ? serversByBackend(api) : okAsync(new Map<string, string[]>());
  return servers.andThen((byBackend) => {
    const setState = (state: "ready" | "drain", pick: (c: string) => string[]) =>
      input.components
        .flatMap(pick)
        .flatMap((be) => (byBackend.get(be) ?? []).map((srv) => `set server ${be}/${srv} state ${state}`));
    const readies = setState("ready", (c) => [backendName(c, color)]);
    const drains = setState("drain", (c) =>
      input.colors.filter((other) => other !== color).map((other) => backendName(c, other)),
    );
    const adds = [
      `add map @${version} ${mapFile} ${MAP_REVISION_KEY} ${map.revision ?? "-"}`,
      ...map.entries.map((e) => `add map @${version} ${mapFile} ${e.key} ${e.value}`),
    ];
    return api
      .send([...readies, ...adds].join(";"))
      .andThen((reply) => expectSilence(reply, "the new map entries", mapFile))
      .andThen(() => api.send(`commit map @${version} ${mapFile}`))
      .andThen((reply) => expectSilence(reply, "`commit map`", mapFile))
      .andThen(() =>
        drains.length === 0
          ? okAsync(undefined)
          : api
              .send(drains.join(";"))
              .andThen((reply) => expectSilence(reply, "draining the old color", mapFile)),
      );
  });
}

/** Server names per backend, from `show servers state` (fields located by the header line). */
function serversByBackend(
  api: Pick<RuntimeSession, "send">,
): ResultAsync<Map<string, string[]>, DriverError> {
  return api.send("show servers state").andThen((reply) => {
    const lines = reply.split("\n");
    const header =
      lines
        .find((l) => l.startsWith("# "))
        ?.slice(2)
        .trim()
        .split(/\s+/) ?? [];
    const beAt = header.indexOf("be_name");
    const srvAt = header.indexOf("srv_name");
    if (beAt < 0 || srvAt < 0) {
      return errAsync(
        haproxyError(
          "reload",
          "failed",
          `\`show servers state\` gave no header line: ${reply.trim().slice(0, 300)}`,
          {
            hint: "nothing was switched; retry without drain, or check the stats socket's level (admin)",
          },
        ),
      );
    }
    const byBackend = new Map<string, string[]>();
    for (const line of lines) {
      if (line.startsWith("#") || line.trim() === "") continue;
      const fields = line.trim().split(/\s+/);
      const be = fields[beAt];
      const srv = fields[srvAt];
      if (be === undefined || srv === undefined) continue;
      byBackend.set(be, [...(byBackend.get(be) ?? []), srv]);
    }
    return okAsync(byBackend);
  });
}
