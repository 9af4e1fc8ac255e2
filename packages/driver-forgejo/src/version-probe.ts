import type { DriverError } from "@backflip/core";
import { lazySchema } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import type { ForgejoHttp } from "./forgejo-http";
import { parseServerVersion, type ServerVersion } from "./forgejo-version";

const versionSchema = lazySchema(() => z.object({ version: z.string() }));

/**
 * Learns the server's version once per client, lazily (`GET /api/v1/version`). A server
 * that does not answer it (404, another shape) is `null`: the driver then assumes every
 * capability and tolerates what is missing. A failure to ask is not remembered.
 */
export class VersionProbe {
  readonly #http: ForgejoHttp;
  #known: Promise<Result<ServerVersion | null, DriverError>> | undefined;
  #learnt: { readonly version: ServerVersion | null } | undefined;

  constructor(http: ForgejoHttp) {
    this.#http = http;
  }

  /** The server's version (asked at most once successfully). */
  get(op: string): Promise<Result<ServerVersion | null, DriverError>> {
    this.#known ??= this.#ask(op).then((result) => {
      if (result.isErr()) this.#known = undefined;
      else this.#learnt = { version: result.value };
      return result;
    });
    return this.#known;
  }

  /** The version once learnt (`null`: the server does not say); `undefined` before. */
  learnt(): ServerVersion | null | undefined {
    return this.#learnt?.version;
  }

  /** The URL the probe asks. */
  url(): URL {
    return this.#http.url(["api", "v1", "version"]);
  }

  async #ask(op: string): Promise<Result<ServerVersion | null, DriverError>> {
    const got = await this.#http.getJson(op, this.url(), {
      notFoundIsNull: true,
    });
    if (got.isErr()) return err(got.error);
    const parsed = versionSchema.safeParse(got.value?.data);
    return ok(parsed.success ? parseServerVersion(parsed.data.version) : null);
  }
}
