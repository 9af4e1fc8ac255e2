import { lazySchema } from "@backflip/core/driver-kit";
import * as z from "zod";

/**
 * A role or database name as this driver accepts it: letters, digits, `_`, `.`, `-`, not
 * starting with `-`, at most 63 characters (PostgreSQL's limit). No `=`, `:`, space or
 * `/`, so psql and libpq can never read it as a connection string, a URI or an option.
 */
const plainName = (what: string) =>
  z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/, `expected a ${what} name (letters, digits, _ . -)`);

/** A role name (`-U`, the wire client's `user`). */
export const roleNameSchema = lazySchema(() => plainName("role"));

/** A database name (`-d`, the wire client's `database`). */
export const databaseNameSchema = lazySchema(() => plainName("database"));

/**
 * A host name, an IPv4 or bracket-less IPv6 address, or a socket directory (an absolute
 * path without `.` or `..` segments: it names the directory it says).
 */
export const hostSchema = lazySchema(() =>
  z
    .string()
    .regex(
      /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+)+)$/,
      "expected a host name, an IP address or a socket directory",
    )
    .refine((h) => h.length <= 256, "expected at most 256 characters"),
);
