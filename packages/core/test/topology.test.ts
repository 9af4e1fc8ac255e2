import { describe, expect, it } from "vitest";
import {
  artifactFileName,
  colorContainers,
  containerName,
  datasetName,
  otherColor,
  packageName,
  parseTopology,
  vezaTopology,
} from "../src/index";

describe("vezaTopology", () => {
  it("uses the runbook's staging names", () => {
    const t = vezaTopology("staging");
    expect(t.haproxy.container).toBe("veza-staging-haproxy");
    expect(containerName(t, "backend", "blue")).toBe("veza-staging-backend-blue");
    expect(colorContainers(t, "green")).toEqual([
      "veza-staging-backend-green",
      "veza-staging-stream-green",
      "veza-staging-web-green",
    ]);
  });

  it("has no env prefix in prod", () => {
    const t = vezaTopology("prod");
    expect(t.haproxy.container).toBe("veza-haproxy");
    expect(containerName(t, "web", "green")).toBe("veza-web-green");
  });

  it("rejects a bad topology naming the field", () => {
    const result = parseTopology({ ...vezaTopology("staging"), colors: ["blue", "blue"] });
    expect(result.isErr()).toBe(true);
    expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(result._unsafeUnwrapErr().message).toContain("colors");
  });
});

/** A copy of the staging topology with one field (a dotted path) set to `value`, or removed when `undefined`. */
function withField(path: string, value: unknown): unknown {
  const topology = structuredClone(vezaTopology("staging")) as unknown as Record<string, unknown>;
  const keys = path.split(".");
  const last = keys.pop() ?? "";
  let node = topology;
  for (const key of keys) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  if (value === undefined) delete node[last];
  else node[last] = value;
  return topology;
}

describe("parseTopology: every field group is checked and named", () => {
  const badFields: ReadonlyArray<readonly [string, unknown]> = [
    ["env", "Staging"],
    ["env", ""],
    ["env", "1prod"],
    ["env", "st aging"],
    ["colors", ["blue"]],
    ["colors", ["Blue", "green"]],
    ["colors", ["blue", "gr een"]],
    ["components", []],
    ["components", ["back end"]],
    ["components", "backend"],
    ["containerPattern", "veza-{component}"],
    ["containerPattern", "veza-{component}-{color}-{sha}"],
    ["containerPattern", ""],
    ["haproxy", undefined],
    ["haproxy.container", "-veza-haproxy"],
    ["haproxy.container", "veza_haproxy"],
    ["haproxy.container", "a".repeat(64)],
    ["haproxy.configPath", "etc/haproxy/haproxy.cfg"],
    ["haproxy.configPath", "/etc/haproxy/../passwd"],
    ["haproxy.configPath", "/etc/haproxy/haproxy.cfg\0"],
    ["haproxy.stateFile", "active-color"],
    ["haproxy.historyFile", "/var/lib/veza/../active-color.history"],
    ["haproxy.historyLimit", 1],
    ["haproxy.historyLimit", 2.5],
    ["haproxy.historyLimit", "50"],
    ["postgres.container", "9-postgres"],
    ["postgres.database", "Veza"],
    ["postgres.user", ""],
    ["registry.owner", "-talas"],
    ["registry.owner", "ta las"],
    ["registry.packagePattern", "veza-{sha}"],
    ["registry.filePattern", "veza-{component}-{color}.tar.zst"],
    ["registry.retention", 0],
    ["zfs.datasetPattern", "rpool/incus/containers/{component}"],
    ["zfs.snapshotPrefix", "-pre-deploy"],
    ["zfs.snapshotPrefix", "pre deploy"],
    ["publicHealthUrl", "staging.veza.fr/api/v1/health"],
    ["healthPath", "api/v1/health"],
    ["workflows.rollback", ""],
    ["workflows.cleanup", ""],
    ["workflows.ref", ""],
    ["workflows", undefined],
    ["app.releaseFile", "RELEASE"],
    ["app.stageDir", "/opt/veza/../releases"],
    ["app.localHealthUrl", "http://{container}.incus:8080/{sha}"],
  ];
  for (const [field, value] of badFields) {
    it(`rejects ${field} = ${JSON.stringify(value) ?? "(missing)"}`, () => {
      const error = parseTopology(withField(field, value))._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain(field);
    });
  }

  it("rejects a value that is not an object", () => {
    for (const value of [null, "staging", 42, []]) {
      expect(parseTopology(value)._unsafeUnwrapErr().reason).toBe("invalid_input");
    }
  });

  it("names every bad field at once", () => {
    const topology = withField("env", "Bad") as Record<string, unknown>;
    (topology.registry as Record<string, unknown>).retention = -1;
    const message = parseTopology(topology)._unsafeUnwrapErr().message;
    expect(message).toContain("env");
    expect(message).toContain("registry.retention");
  });
});

describe("vezaTopology: the runbook's names", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";

  it("validates for staging and prod", () => {
    expect(parseTopology(vezaTopology("staging"))._unsafeUnwrap()).toEqual(vezaTopology("staging"));
    expect(parseTopology(vezaTopology("prod"))._unsafeUnwrap()).toEqual(vezaTopology("prod"));
  });

  it("names staging's containers, files, registry, datasets and health URL", () => {
    const t = vezaTopology("staging");
    expect(t.env).toBe("staging");
    expect(t.colors).toEqual(["blue", "green"]);
    expect(t.haproxy).toMatchObject({
      container: "veza-staging-haproxy",
      stateFile: "/var/lib/veza/active-color",
      historyFile: "/var/lib/veza/active-color.history",
    });
    expect(t.postgres.container).toBe("veza-staging-postgres");
    expect(t.registry.owner).toBe("talas");
    expect(t.registry.retention).toBe(30);
    expect(packageName(t, "backend")).toBe("veza-backend");
    expect(artifactFileName(t, "backend", sha)).toBe(`veza-backend-${sha}.tar.zst`);
    expect(datasetName(t, "veza-staging-postgres")).toBe("rpool/incus/containers/veza-staging-postgres");
    expect(t.zfs.snapshotPrefix).toBe("pre-deploy-");
    expect(t.publicHealthUrl).toBe("https://staging.veza.fr/api/v1/health");
    expect(t.healthPath).toBe("/api/v1/health");
    expect(t.workflows).toMatchObject({ rollback: "rollback.yml", cleanup: "cleanup-failed.yml" });
  });

  it("names prod without an env prefix", () => {
    const t = vezaTopology("prod");
    expect(t.haproxy.container).toBe("veza-haproxy");
    expect(t.postgres.container).toBe("veza-postgres");
    expect(colorContainers(t, "blue")).toEqual(["veza-backend-blue", "veza-stream-blue", "veza-web-blue"]);
    expect(datasetName(t, "veza-postgres")).toBe("rpool/incus/containers/veza-postgres");
    expect(t.haproxy.stateFile).toBe("/var/lib/veza/active-color");
    expect(artifactFileName(t, "web", sha)).toBe(`veza-web-${sha}.tar.zst`);
  });

  it("gives the other color", () => {
    const t = vezaTopology("staging");
    expect(otherColor(t, "blue")).toBe("green");
    expect(otherColor(t, "green")).toBe("blue");
  });
});

describe("topology edge validation", () => {
  const staging = vezaTopology("staging");
  const fieldOf = (value: unknown) => parseTopology(value)._unsafeUnwrapErr().message;

  it("accepts only http(s) public health URLs", () => {
    expect(fieldOf({ ...staging, publicHealthUrl: "ftp://x/health" })).toContain("publicHealthUrl");
    expect(fieldOf({ ...staging, publicHealthUrl: "javascript:alert(1)" })).toContain("publicHealthUrl");
  });

  it("rejects container patterns that give names Incus rejects", () => {
    expect(fieldOf({ ...staging, containerPattern: "Bad_{component}_{color}" })).toContain(
      "containerPattern",
    );
  });

  it("rejects workflow paths and health paths that climb out", () => {
    expect(fieldOf({ ...staging, workflows: { ...staging.workflows, rollback: "../../x.yml" } })).toContain(
      "workflows.rollback",
    );
    expect(fieldOf({ ...staging, healthPath: "/../x" })).toContain("healthPath");
  });
});
