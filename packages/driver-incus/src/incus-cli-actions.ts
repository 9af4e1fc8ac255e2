import type { Action, ContainerOperation, ExecLocation } from "@backflip/core";

/** `--project P`, left out for Incus's `default` project (the CLI's own default). */
function projectFlag(project: string): string[] {
  return project === "default" ? [] : ["--project", project];
}

/** Where `incus exec` runs a command of `instance` (the project left out when `default`). */
export function incusLocation(project: string, instance: string): ExecLocation {
  return project === "default" ? { kind: "incus", instance } : { kind: "incus", instance, project };
}

/** Regular-expression characters escaped, so a name matches only itself. */
function literal(name: string): string {
  return name.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/**
 * The `incus` CLI command an operator would type for a ContainerHost call. A list of
 * names becomes one anchored regular expression: `incus list a b` ANDs its filters and
 * would show nothing.
 */
export function incusCliActions(project: string, operation: ContainerOperation): readonly Action[] {
  const incus = (...args: string[]): Action => ({
    kind: "exec",
    where: { kind: "local" },
    argv: ["incus", ...args.slice(0, 1), ...projectFlag(project), ...args.slice(1)],
  });
  switch (operation.op) {
    case "list":
      return [incus("list", "--format", "csv", "-c", "n,s", `^(${operation.names.map(literal).join("|")})$`)];
    case "delete":
      return [incus("delete", "--force", operation.name)];
    case "start":
    case "stop":
    case "restart":
      return [incus(operation.op, operation.name)];
  }
}
