import * as z from "zod";
import { abortSignalSchema } from "../validate/abort-signal-schema";
import { lazySchema } from "../validate/lazy-schema";
import { timerMsSchema } from "../validate/timer-ms-schema";

/**
 * The zod schema of a {@link @backflip/core!ProbeRequest}: an http(s) URL, sane retry numbers, and
 * headers a request can carry. Messages never echo a header value (it may hold a token).
 */
export const probeRequestSchema = lazySchema(() =>
  z.object({
    url: z.url({ protocol: /^https?$/, error: "expected an absolute http:// or https:// URL" }),
    expectStatus: z.number().int().min(100).max(599).optional(),
    bodyIncludes: z.string().min(1, "bodyIncludes is empty").optional(),
    attemptTimeoutMs: timerMsSchema.optional(),
    attempts: z.number().int().min(1).max(1000).optional(),
    deadlineMs: timerMsSchema.optional(),
    intervalMs: z.number().int().nonnegative().max(3_600_000).optional(),
    headers: z
      .record(
        z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "expected an HTTP header name"),
        z.string().refine((v) => !/[\r\n\0]/.test(v), "a header value must not contain CR, LF or NUL"),
      )
      .optional(),
    signal: abortSignalSchema.optional(),
  }),
);
