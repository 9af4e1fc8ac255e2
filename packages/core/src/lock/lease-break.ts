import * as z from "zod";
import type { Lease } from "../ports/lease-lock";
import { lazySchema } from "../validate/lazy-schema";
import { leaseSchema } from "./lease-input";

/** A stale lease someone broke, as a shared coordination store records it. */
export interface LeaseBreak {
  /** The lease that was broken (its holder was presumed dead). */
  readonly lease: Lease;
  /** Who broke it (the store's `actor`). */
  readonly brokenBy: string;
  /** The store's time of the break, ISO-8601. */
  readonly brokenAt: string;
}

const leaseBreakSchema = lazySchema(() =>
  z.object({ lease: leaseSchema, brokenBy: z.string(), brokenAt: z.string() }),
);

/** A stored {@link LeaseBreak} read back, or `undefined` when the text is not one. */
export function parseLeaseBreak(text: string): LeaseBreak | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = leaseBreakSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
