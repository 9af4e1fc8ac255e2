import type { DriverError } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import type { ForgejoHttp } from "./forgejo-http";
import { parseServerVersion, type ServerVersion } from "./forgejo-version";

const versionSchema = z.object({ version: z.string() });

/**
 * Learns the server's version once per client, lazily (`GET /api/v1/version`). A server
 * that does not answer it (404, another shape) is `null`: the driver then assumes every
 * capability and tolerates what is missing. A failure to ask is not remembered.
 */
export class VersionProbe {
  readonly #http: ForgejoHttp;
  #known: Promise<Result<ServerVersion | null, DriverError>> | undefined;

  constructor(http: ForgejoHttp) {
    this.#http = http;
  }

  /** The server's version (asked at most once successfully). */
  get(op: string): Promise<Result<ServerVersion | null, DriverError>> {
    this.#known ??= this.#ask(op).then((result) => {
      if (result.isErr()) this.#known = undefined;
      return result;
    });
    return this.#known;
  }

  async #ask(op: string): Promise<Result<ServerVersion | null, DriverError>> {
    const got = await this.#http.getJson(op, this.#http.url(["api", "v1", "version"]), {
      notFoundIsNull: true,
    });
    if (got.isErr()) return err(got.error);
    const parsed = versionSchema.safeParse(got.value?.data);
    return ok(parsed.success ? parseServerVersion(parsed.data.version) : null);
  }
}
