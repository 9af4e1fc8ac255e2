/**
 * A URL safe to print: user and password dropped, the query and fragment elided (they may
 * carry tokens), e.g. `https://staging.veza.fr/api/v1/health?…`.
 */
export function displayUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(unparsable URL)";
  }
  const rest = parsed.search !== "" || parsed.hash !== "" ? "?…" : "";
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${rest}`;
}
