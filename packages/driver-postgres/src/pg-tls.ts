import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { DriverError } from "@backflip/core";
import { absolutePathSchema, lazySchema } from "@backflip/core/driver-kit";
import { err, ok, type Result } from "neverthrow";
import * as z from "zod";
import { pgError } from "./postgres-error";

/**
 * The wire client's TLS option: `true` (verified against the system's CAs), an object
 * naming a CA file (PEM) and/or the name the certificate must carry, or `false` (clear
 * text, the password included). Verification is never optional.
 */
export type PgSslOption = boolean | { readonly caFile?: string; readonly servername?: string };

/** TLS as the transport uses it: `false`, or verified TLS with the CA's PEM text and a server name. */
export type PgTls = false | { readonly ca?: string; readonly servername?: string };

/** A DNS name a certificate can carry. */
const serverNameSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
      "expected a DNS name like db.example.org",
    ),
);

/** The `ssl` option's schema (strict: no `rejectUnauthorized` or other `tls` options pass). */
export const pgSslSchema = lazySchema(() =>
  z.union([
    z.boolean(),
    z.object({ caFile: absolutePathSchema.optional(), servername: serverNameSchema.optional() }).strict(),
  ]),
);

/** The largest CA file read (a bundle of a few hundred certificates). */
const MAX_CA_BYTES = 1_000_000;

/** Whether `host` never leaves this machine: loopback (`localhost`, 127.0.0.0/8, `::1`) or a socket directory. */
export function isLocalHost(host: string): boolean {
  if (host.startsWith("/") || host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return isIP(host) === 6 && /^(?:0*:)*:?0*1$/.test(host);
}

/** Reads the CA file: a regular file of at most 1 MB holding a PEM certificate; never quoted in errors. */
function readCa(path: string): Result<string, DriverError> {
  const refused = (what: string) =>
    err(
      pgError("options", "invalid_input", `ssl.caFile: ${path} ${what}`, {
        hint: "give the PEM file of the CA that signed the server's certificate",
      }),
    );
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO must not block the caller while it waits for a writer; it is refused below.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return refused(`cannot be opened (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return refused("is not a regular file");
    if (stat.size > MAX_CA_BYTES) return refused(`holds more than ${MAX_CA_BYTES} bytes`);
    const pem = readFileSync(fd, "utf8");
    return pem.includes("-----BEGIN CERTIFICATE-----") ? ok(pem) : refused("holds no PEM certificate");
  } catch (e) {
    return refused(`cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  } finally {
    closeSync(fd);
  }
}

/**
 * The TLS the transport uses for `host`: by default verified TLS for every host that is
 * not loopback or a socket directory (clear text there); `true` or an object always
 * TLS, with the CA file read now; `false` clear text, only when asked for.
 */
export function resolvePgTls(
  host: string,
  ssl: z.output<typeof pgSslSchema> | undefined,
): Result<PgTls, DriverError> {
  if (ssl === false || (ssl === undefined && isLocalHost(host))) return ok(false);
  if (ssl === undefined || ssl === true) return ok({});
  const ca = ssl.caFile === undefined ? ok(undefined) : readCa(ssl.caFile);
  return ca.map((pem) => ({
    ...(pem === undefined ? {} : { ca: pem }),
    ...(ssl.servername === undefined ? {} : { servername: ssl.servername }),
  }));
}
