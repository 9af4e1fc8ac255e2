import { type DriverError, driverError } from "@backflip/core";
import type { Drivers } from "@backflip/core/recipes";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import * as z from "zod";

/** `--release-sha`: a full SHA or a prefix of one (what `status` shows is 12 characters). */
export const shaPrefixSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{7,40}$/, "expected a SHA: 7 to 40 hex digits (a unique prefix is enough)")
  .transform((s) => s.toLowerCase());

const FULL_SHA = /^[0-9a-f]{40}$/;

/** Every 40-hex SHA the target knows: the active-color history's and the registry's versions (each component's). */
function knownShas(drivers: Drivers, components: readonly string[]): ResultAsync<Set<string>, DriverError> {
  const history = drivers.traffic.readState().map((s) => s.history.flatMap((h) => (h.sha ? [h.sha] : [])));
  const { registry } = drivers;
  const versions = registry
    ? ResultAsync.combine(components.map((c) => registry.listVersions(c))).map((all) =>
        all.flat().map((v) => v.version),
      )
    : okAsync<string[], DriverError>([]);
  return ResultAsync.combine([history, versions]).map(
    ([h, v]) => new Set([...h, ...v].map((s) => s.toLowerCase()).filter((s) => FULL_SHA.test(s))),
  );
}

/**
 * The full SHA `prefix` stands for, resolved against the history and the registry: a
 * 40-hex SHA is itself; a prefix must match exactly one known SHA (`invalid_input` naming
 * `--release-sha` and the candidates otherwise).
 */
export function resolveSha(
  prefix: string,
  drivers: Drivers,
  components: readonly string[],
): ResultAsync<string, DriverError> {
  if (FULL_SHA.test(prefix)) return okAsync(prefix);
  const refuse = (message: string, hint: string) =>
    errAsync<string, DriverError>(
      driverError({ driver: "cli", op: "release-sha", reason: "invalid_input", message, hint }),
    );
  return knownShas(drivers, components).andThen((known) => {
    const matches = [...known].filter((sha) => sha.startsWith(prefix));
    if (matches.length === 1 && matches[0]) return okAsync(matches[0]);
    return matches.length === 0
      ? refuse(
          `--release-sha ${prefix}: no SHA in the history or the registry starts with it`,
          "give the full 40-hex SHA (a purged one: push-artifact it first), or check `status`",
        )
      : refuse(
          `--release-sha ${prefix}: ${matches.length} SHAs start with it (${matches.map((m) => m.slice(0, 12)).join(", ")})`,
          "give more digits",
        );
  });
}
