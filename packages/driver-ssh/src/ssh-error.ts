import { driverErrorFor } from "@backflip/core/driver-kit";

/** The `driver` of every error this package returns. */
export const DRIVER = "ssh";

/** Builds an ssh {@link DriverError}. Callers never pass key material or passphrases. */
export const sshError = driverErrorFor(DRIVER);

/**
 * Keeps only an error's name, message and code as a `cause`: ssh2 errors carry no
 * secrets today, and this makes sure none ever rides along (no config, no client).
 */
export function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const copy = new Error(error.message);
  copy.name = error.name;
  const code = (error as NodeJS.ErrnoException).code;
  const level = (error as { level?: unknown }).level;
  if (code !== undefined) Object.assign(copy, { code });
  if (typeof level === "string") Object.assign(copy, { level });
  return copy;
}

/** The errno-style code of a socket error, if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
