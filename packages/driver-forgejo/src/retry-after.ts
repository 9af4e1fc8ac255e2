/** The longest `Retry-After` the driver reads (one day); longer answers are capped. */
const MAX_MS = 86_400_000;

/**
 * A 429 or 503's `Retry-After` (delay seconds or an HTTP date) in ms, `undefined` when
 * the header is absent or unreadable, or the status is another.
 */
export function retryAfterMs(
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  now: number = Date.now(),
): number | undefined {
  if (status !== 429 && status !== 503) return undefined;
  const raw = [headers["retry-after"] ?? []].flat()[0]?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Math.min(MAX_MS, Number(raw) * 1_000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.min(MAX_MS, Math.max(0, at - now));
}
