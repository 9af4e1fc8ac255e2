import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { type DriverError, driverError } from "../errors/driver-error";
import { LocalShell } from "../shell/local-shell";
import { runChecked } from "../shell/run-checked";

const DRIVER = "test-certificate";
const OP = "selfSignedCertificate";

/** A throwaway key and self-signed certificate, both PEM. */
export interface SelfSignedCertificate {
  readonly cert: string;
  readonly key: string;
}

async function make(cn: string, san: string): Promise<Result<SelfSignedCertificate, DriverError>> {
  const dir = await mkdtemp(join(tmpdir(), "backflip-cert-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    const made = await runChecked(
      new LocalShell(),
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "2",
        "-subj",
        `/CN=${cn}`,
        "-addext",
        `subjectAltName=${san}`,
      ],
      { driver: DRIVER, op: OP },
    );
    if (made.isErr()) return err(made.error);
    return ok({ cert: await readFile(cert, "utf8"), key: await readFile(key, "utf8") });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Makes a self-signed EC (P-256) certificate for `cn`, valid two days, with `san` as its
 * subjectAltName (default `DNS:<cn>`; `IP:127.0.0.1` for a loopback server). Needs
 * `openssl` on the PATH; leaves nothing on disk.
 */
export function selfSignedCertificate(
  cn: string,
  san = `DNS:${cn}`,
): ResultAsync<SelfSignedCertificate, DriverError> {
  return ResultAsync.fromPromise(make(cn, san), (cause) =>
    driverError({
      driver: DRIVER,
      op: OP,
      reason: "failed",
      message: `cannot make a certificate for ${cn}: ${(cause as Error)?.message ?? String(cause)}`,
      cause,
    }),
  ).andThen((made) => made);
}
