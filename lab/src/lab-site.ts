import { type DriverError, driverError } from "@backflip/core";
import { backendEnv } from "@backflip/core/testing";
import type { IncusHostOptions } from "@backflip/driver-incus";
import { err, ok, type Result } from "neverthrow";

/** The sites a lab can run on: `host` (the local Incus) or `cluster` (the 3-member Incus cluster). */
export const LAB_SITE_NAMES = ["host", "cluster"] as const;

/** A lab site's name. */
export type LabSiteName = (typeof LAB_SITE_NAMES)[number];

/**
 * Where a lab runs and what differs between sites. Everything else (container names,
 * topology, releases, the HAProxy config) is the same on every site.
 */
export interface LabSite {
  readonly name: LabSiteName;
  /** Added to every loopback port of the lab ({@link LabSite.name} `host`: 0, so 18600…). */
  readonly portOffset: number;
  /** The state dir's name under `$BACKFLIP_BACKENDS_DIR`. */
  readonly stateDirName: string;
  /** The cluster member each color's containers are created on (`?target=`); none on the host. */
  readonly colorMembers: Readonly<Record<string, string>>;
  /** The member every other lab container (the HAProxy edge) is created on; none on the host. */
  readonly otherMember?: string;
  /** Whether the site runs the whole lab: the fleet's two extra edges and `veza-lab-postgres` (Path 3). */
  readonly full: boolean;
  /** The `scripts/backends` module that brings its Incus up. */
  readonly incusBackend: "incus" | "incus-cluster";
}

/**
 * The sites. `host`: the single local Incus, the whole lab, ports 18600–18649, state in
 * `lab/`. `cluster`: the Incus cluster of `scripts/backends up incus-cluster` reached
 * through m1's socket (m1 forwards to the other members), blue on m2, green on m3, the
 * HAProxy edge on m1, only what Paths 1 and 2 need, ports 18650–18699, state in `lab-cluster/`.
 */
export const LAB_SITES: Readonly<Record<LabSiteName, LabSite>> = {
  host: {
    name: "host",
    portOffset: 0,
    stateDirName: "lab",
    colorMembers: {},
    full: true,
    incusBackend: "incus",
  },
  cluster: {
    name: "cluster",
    portOffset: 50,
    stateDirName: "lab-cluster",
    colorMembers: { blue: "m2", green: "m3" },
    otherMember: "m1",
    full: false,
    incusBackend: "incus-cluster",
  },
};

/**
 * The site a `BACKFLIP_LAB_SITE` value names (`host` when unset or empty). Throws on any
 * other value: the lab's modules read it once when loaded, and a misspelt site must not
 * silently run the host lab.
 */
export function parseLabSite(value: string | undefined): LabSite {
  if (value === undefined || value === "") return LAB_SITES.host;
  const site = (LAB_SITE_NAMES as readonly string[]).includes(value) ? LAB_SITES[value as LabSiteName] : null;
  if (site === null)
    throw new Error(`BACKFLIP_LAB_SITE=${value}: expected one of ${LAB_SITE_NAMES.join(", ")}`);
  return site;
}

/** The site this process's lab runs on (`BACKFLIP_LAB_SITE`, read once). */
export const LAB_SITE: LabSite = parseLabSite(process.env.BACKFLIP_LAB_SITE);

/**
 * Where a lab container goes: `{ target }` naming its color's member (no color: the
 * site's other member), `{}` on the host. Spread into an `InstanceSpec`.
 */
export function labPlacement(color?: string, site: LabSite = LAB_SITE): { readonly target?: string } {
  const target = (color === undefined ? undefined : site.colorMembers[color]) ?? site.otherMember;
  return target === undefined ? {} : { target };
}

/**
 * How the lab reaches Incus on a site: the default local socket on `host`; m1's socket on
 * `cluster` (from `incus-cluster.env`), `unavailable` naming the backend when the cluster
 * was never brought up.
 */
export function labIncusOptions(
  site: LabSite = LAB_SITE,
): Result<Pick<IncusHostOptions, "socketPath">, DriverError> {
  if (site.name === "host") return ok({});
  const socket = backendEnv("incus-cluster")?.INCUS_CLUSTER_SOCKETS?.split(",")[0];
  if (!socket)
    return err(
      driverError({
        driver: "lab",
        op: "site",
        reason: "unavailable",
        message: "the Incus cluster was never brought up (no incus-cluster.env)",
        hint: `run \`scripts/backends up ${site.incusBackend}\``,
      }),
    );
  return ok({ socketPath: socket });
}
