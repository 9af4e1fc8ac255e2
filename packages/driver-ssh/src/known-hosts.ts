import { createHmac } from "node:crypto";
import type { PresentedHostKey } from "./host-key";

/** What a known_hosts file says about one presented key. */
export type KnownHostsVerdict =
  | { readonly kind: "trusted" }
  | { readonly kind: "unknown" }
  | { readonly kind: "revoked" }
  | { readonly kind: "changed"; readonly expected: readonly string[] };

interface KnownHostsLine {
  readonly marker: "" | "@revoked" | "@cert-authority";
  readonly hosts: string;
  readonly type: string;
  readonly base64: string;
}

/**
 * Checks a presented host key against known_hosts text (OpenSSH format): plain and
 * hashed (`|1|salt|hash`) host names, `[host]:port`, wildcards, negations and the
 * `@revoked` marker. `@cert-authority` lines are ignored (certificates are not used).
 */
export function checkKnownHosts(
  text: string,
  host: string,
  port: number,
  key: PresentedHostKey,
): KnownHostsVerdict {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const lines = parseKnownHosts(text).filter((line) => hostsMatch(line.hosts, name));
  if (lines.some((l) => l.marker === "@revoked" && l.base64 === key.base64)) return { kind: "revoked" };
  const candidates = lines.filter((l) => l.marker === "");
  if (candidates.some((l) => l.type === key.type && l.base64 === key.base64)) return { kind: "trusted" };
  if (candidates.length === 0) return { kind: "unknown" };
  return { kind: "changed", expected: candidates.map((l) => l.type) };
}

function parseKnownHosts(text: string): KnownHostsLine[] {
  const lines: KnownHostsLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === "" || fields[0].startsWith("#")) continue;
    const marker = fields[0] === "@revoked" || fields[0] === "@cert-authority" ? fields[0] : "";
    const [hosts, type, base64] = marker === "" ? fields : fields.slice(1);
    if (hosts && type && base64) lines.push({ marker, hosts, type, base64 });
  }
  return lines;
}

/** True when `name` matches the comma-separated patterns and no negated one. */
function hostsMatch(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) return hashedMatch(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(",")) {
    const negated = pattern.startsWith("!");
    if (!wildcardMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatch(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split("|");
  if (!salt || !hash) return false;
  const digest = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
  return digest === hash;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(name.toLowerCase());
}
