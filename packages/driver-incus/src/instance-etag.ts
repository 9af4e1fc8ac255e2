import { createHash } from "node:crypto";

/** Incus's architecture ids (`shared/osarch`), by the name its API shows. */
const ARCHITECTURES: Readonly<Record<string, number>> = {
  i686: 1,
  x86_64: 2,
  armv7l: 3,
  aarch64: 4,
  ppc: 5,
  ppc64: 6,
  ppc64le: 7,
  s390x: 8,
  mips: 9,
  mips64: 10,
  riscv32: 11,
  riscv64: 12,
  armv6l: 13,
  armv8l: 14,
  loongarch64: 15,
};

/** A profile as `GET /1.0/profiles/{name}` shows it. */
export interface RawProfile {
  readonly name?: string;
  readonly description?: string;
  readonly config?: Readonly<Record<string, string>> | null;
  readonly devices?: Readonly<Record<string, Readonly<Record<string, string>>>> | null;
  readonly project?: string;
}

/** What of an instance, besides its config, its ETag covers. */
export interface EtagShape {
  readonly architecture: number;
  readonly ephemeral: boolean;
  /** The instance's profiles, already encoded as Incus encodes them for the ETag. */
  readonly profiles: string;
}

/**
 * The parts of an instance (as `GET /1.0/instances/{name}` shows it) that its ETag
 * covers besides its config, given its profiles' bodies in the instance's order; or
 * `undefined` when this module cannot compute it (an unknown architecture, or local
 * devices, whose ETag order it does not reproduce).
 */
export function etagShape(
  instance: {
    readonly architecture?: string;
    readonly ephemeral?: boolean;
    readonly devices?: Readonly<Record<string, unknown>> | null;
  },
  profiles: readonly RawProfile[],
): EtagShape | undefined {
  const architecture = ARCHITECTURES[instance.architecture ?? ""];
  if (architecture === undefined || Object.keys(instance.devices ?? {}).length > 0) return undefined;
  const encoded = profiles.map(
    (p) =>
      `{"config":${goMap(p.config)},"description":${goString(p.description ?? "")},"devices":${goMap(p.devices)},"name":${goString(p.name ?? "")},"used_by":null,"project":${goString(p.project ?? "")}}`,
  );
  return { architecture, ephemeral: instance.ephemeral === true, profiles: `[${encoded.join(",")}]` };
}

/**
 * The ETag Incus 6 sends for an instance of `shape` with local `config`: the SHA-256 of
 * the JSON (as Go's encoder writes it) of `[architecture, ephemeral, profiles, devices,
 * "key=value"…]` with the keys sorted — what `instance.ETag()` hashes. Callers check it
 * against a real ETag before trusting it: a wrong guess only costs a 412.
 */
export function instanceEtag(shape: EtagShape, config: Readonly<Record<string, string>>): string {
  const keys = Object.keys(config).sort();
  const pairs = keys.map((k) => `,${goString(`${k}=${config[k]}`)}`).join("");
  const json = `[${shape.architecture},${shape.ephemeral},${shape.profiles},[]${pairs}]\n`;
  return createHash("sha256").update(json).digest("hex");
}

/** A string as Go's `encoding/json` writes it (`<`, `>` and `&` escaped too). */
function goString(s: string): string {
  return JSON.stringify(s)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A string map (or a map of them) as Go writes it: keys sorted, `null` when absent. */
function goMap(
  map: Readonly<Record<string, string | Readonly<Record<string, string>>>> | null | undefined,
): string {
  if (!map) return "null";
  const entries = Object.keys(map)
    .sort()
    .map((k) => {
      const v = map[k]!;
      return `${goString(k)}:${typeof v === "string" ? goString(v) : goMap(v)}`;
    });
  return `{${entries.join(",")}}`;
}
