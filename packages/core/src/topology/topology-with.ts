import { err, ok, type Result } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import { invalidInput } from "../errors/invalid-input";
import type { AppSection, ContainersSection, Topology } from "./topology";

/** An optional part of a {@link Topology} a recipe may need; `app` is `containers.app`. */
export type TopologySection = "publicHealthUrl" | "database" | "snapshots" | "registry" | "pipeline" | "app";

type TopLevel = Exclude<TopologySection, "app">;

/** A {@link Topology} known to have the sections `S`. */
export type TopologyWith<S extends TopologySection> = Topology & {
  readonly [P in Extract<S, TopLevel>]-?: NonNullable<Topology[P]>;
} & ("app" extends S ? { readonly containers: ContainersSection & { readonly app: AppSection } } : unknown);

/** Where a section lives in a topology, as an error names it. */
const sectionPath = (section: TopologySection): string => (section === "app" ? "containers.app" : section);

const has = (topology: Topology, section: TopologySection): boolean =>
  section === "app" ? topology.containers.app !== undefined : topology[section] !== undefined;

/**
 * The topology, known to have every section in `sections`; else `invalid_input` naming the
 * missing ones — a recipe refuses at plan time, before it reads anything.
 */
export function topologyWith<S extends TopologySection>(
  topology: Topology,
  sections: readonly S[],
  op: string,
): Result<TopologyWith<S>, DriverError> {
  const missing = sections.filter((s) => !has(topology, s)).map(sectionPath);
  return missing.length === 0
    ? ok(topology as TopologyWith<S>)
    : err(
        invalidInput(
          "recipe",
          op,
          `${op} needs ${missing.map((m) => `topology.${m}`).join(" and ")}, which the ${topology.env} topology does not have`,
          `add the missing section${missing.length > 1 ? "s" : ""} to the topology, or use a recipe this stack supports`,
        ),
      );
}

/** A {@link Topology} with every section, as the Veza preset gives it. */
export type FullTopology = TopologyWith<TopologySection>;
