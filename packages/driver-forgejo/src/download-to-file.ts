import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { DriverError } from "@backflip/core";
import type { Result } from "neverthrow";
import { type ForgejoHttp, failedAttempt, giveUp } from "./forgejo-http";
import { transportFailure } from "./transport-failure";

/** What the registry's file listing says the download must be. */
export interface ExpectedFile {
  readonly size: number;
  readonly sha256: string;
}

const tempPathFor = (dest: string) =>
  join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString("hex")}.partial`);

/**
 * Streams `url` into a temp file next to `dest`, hashing on the way, and renames it onto
 * `dest` only when size and sha256 match `expected`. A mismatch or a failure deletes the
 * temp file: nothing is kept. Transfers cut short (reset, timeout, 5xx) are retried whole.
 */
export function downloadToFile(
  http: ForgejoHttp,
  op: string,
  url: URL,
  dest: string,
  expected: ExpectedFile,
  hint: { notFound: string; mismatch: string },
): Promise<Result<void, DriverError>> {
  return http.retrying(op, async (n) => {
    const res = await http.send({ op, method: "GET", url, followRedirects: true, attempt: n });
    if (res.kind === "transport") return http.transportAttempt(op, "GET", url, res);
    if (res.status === 404) return giveUp(await http.statusError(op, "GET", res, hint.notFound));
    if (res.status !== 200) return http.statusAttempt(op, "GET", res);
    const temp = tempPathFor(dest);
    const hash = createHash("sha256");
    let bytes = 0;
    let localError: unknown;
    const out = createWriteStream(temp, { flags: "wx" });
    out.on("error", (error) => {
      localError ??= error;
    });
    try {
      await pipeline(
        res.body,
        async function* (source: AsyncIterable<Uint8Array>) {
          for await (const chunk of source) {
            hash.update(chunk);
            bytes += chunk.length;
            yield chunk;
          }
        },
        out,
      );
    } catch (error) {
      res.body.destroy();
      await rm(temp, { force: true });
      if ((localError as { syscall?: unknown } | undefined)?.syscall !== undefined) {
        const cause = http.redactor.cause(localError);
        return failedAttempt(
          op,
          `could not write next to ${dest}: ${cause.message}`,
          "check that the destination directory exists, is writable and has room",
          { cause },
        );
      }
      const failure = transportFailure(error, http.redactor);
      return http.transportAttempt(op, "GET", res.url, failure);
    }
    const sha256 = hash.digest("hex");
    if (bytes !== expected.size || sha256 !== expected.sha256) {
      await rm(temp, { force: true });
      return failedAttempt(
        op,
        `checksum mismatch for ${basename(dest)}: the registry lists sha256 ${expected.sha256} (${expected.size} bytes), the download was sha256 ${sha256} (${bytes} bytes); nothing was kept`,
        hint.mismatch,
        {
          details: {
            expectedSha256: expected.sha256,
            actualSha256: sha256,
            expectedSize: expected.size,
            actualSize: bytes,
          },
        },
      );
    }
    try {
      const handle = await open(temp, "r");
      await handle.sync();
      await handle.close();
      await rename(temp, dest);
    } catch (error) {
      await rm(temp, { force: true });
      const cause = http.redactor.cause(error);
      return failedAttempt(
        op,
        `could not move the verified download onto ${dest}: ${cause.message}`,
        "check that the destination path is writable",
        { cause },
      );
    }
    return { ok: true, value: undefined };
  });
}
