import { describe, expect, it } from "vitest";
import {
  artifactFileName,
  colorContainers,
  containerName,
  datasetName,
  otherColor,
  packageName,
  parseTopology,
  type Topology,
  topologyWith,
} from "../src/index";
import { vezaHaproxy, vezaTopology } from "../src/recipes/index";

/** A stack with only what every blue/green stack has: traffic and containers. */
const minimal: Topology = {
  env: "shop",
  colors: ["a", "b"],
  traffic: { stateFile: "/srv/shop/live", historyFile: "/srv/shop/live.history", historyLimit: 20 },
  containers: { components: ["api"], pattern: "shop-{component}-{color}", healthPath: "/healthz" },
};

describe("vezaTopology", () => {
  it("uses the runbook's staging names", () => {
    const t = vezaTopology("staging");
    expect(vezaHaproxy("staging").container).toBe("veza-staging-haproxy");
    expect(containerName(t, "backend", "blue")).toBe("veza-staging-backend-blue");
    expect(colorContainers(t, "green")).toEqual([
      "veza-staging-backend-green",
      "veza-staging-stream-green",
      "veza-staging-web-green",
    ]);
  });

  it("has no env prefix in prod", () => {
    const t = vezaTopology("prod");
    expect(vezaHaproxy("prod")).toEqual({
      container: "veza-haproxy",
      configPath: "/etc/haproxy/haproxy.cfg",
    });
    expect(containerName(t, "web", "green")).toBe("veza-web-green");
  });

  it("rejects a bad topology naming the field", () => {
    const result = parseTopology({ ...vezaTopology("staging"), colors: ["blue", "blue"] });
    expect(result.isErr()).toBe(true);
    expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(result._unsafeUnwrapErr().message).toContain("colors");
  });
});

describe("a stack-neutral topology", () => {
  it("needs only env, colors, traffic and containers", () => {
    expect(parseTopology(minimal)._unsafeUnwrap()).toEqual(minimal);
    expect(colorContainers(minimal, "b")).toEqual(["shop-api-b"]);
  });

  it("rejects a section it does not know, like the old proxy-specific haproxy block", () => {
    const error = parseTopology({ ...minimal, haproxy: { container: "x" } })._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.message).toContain("haproxy");
  });

  it("topologyWith names every missing section as invalid_input", () => {
    expect(topologyWith(minimal, [], "fastFlip").isOk()).toBe(true);
    const error = topologyWith(minimal, ["pipeline", "app"], "redeployViaPipeline")._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.op).toBe("redeployViaPipeline");
    expect(error.message).toContain("topology.pipeline");
    expect(error.message).toContain("topology.containers.app");
    expect(topologyWith(vezaTopology("staging"), ["pipeline", "app", "database"], "x").isOk()).toBe(true);
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
    ["containers.components", []],
    ["containers.components", ["back end"]],
    ["containers.components", "backend"],
    ["containers.pattern", "veza-{component}"],
    ["containers.pattern", "veza-{component}-{color}-{sha}"],
    ["containers.pattern", ""],
    ["containers.healthPath", "api/v1/health"],
    ["containers", undefined],
    ["traffic", undefined],
    ["traffic.stateFile", "active-color"],
    ["traffic.historyFile", "/var/lib/veza/../active-color.history"],
    ["traffic.historyLimit", 1],
    ["traffic.historyLimit", 2.5],
    ["traffic.historyLimit", "50"],
    ["database.container", "9-postgres"],
    ["database.name", "Veza"],
    ["database.user", ""],
    ["registry.owner", "-talas"],
    ["registry.owner", "ta las"],
    ["registry.packagePattern", "veza-{sha}"],
    ["registry.filePattern", "veza-{component}-{color}.tar.zst"],
    ["registry.retention", 0],
    ["snapshots.datasetPattern", "rpool/incus/containers/{component}"],
    ["snapshots.prefix", "-pre-deploy"],
    ["snapshots.prefix", "pre deploy"],
    ["publicHealthUrl", "staging.veza.fr/api/v1/health"],
    ["pipeline.rollback", ""],
    ["pipeline.cleanup", ""],
    ["pipeline.ref", ""],
    ["containers.app.releaseFile", "RELEASE"],
    ["containers.app.stageDir", "/opt/veza/../releases"],
    ["containers.app.localHealthUrl", "http://{container}.incus:8080/{sha}"],
    // Issue 17, finding 4: no control character, no path that leaves its directory.
    ["containers.healthPath", "/api/v1/health\n    stats socket /tmp/evil.sock mode 666 level admin"],
    ["containers.healthPath", "/api/v1/health\u202e"],
    ["traffic.stateFile", "/var/lib/veza;reboot/active-color"],
    ["containers.app.stageDir", "/opt/veza/releases\u2028"],
    ["containers.app.localHealthUrl", "http://{container}.incus:8080/h\nx"],
    ["containers.pattern", "veza-{component}-{color}\u202e"],
    ["registry.filePattern", "../../../etc/cron.d/{component}-{sha}"],
    ["registry.filePattern", "x/{component}-{sha}.tar.zst"],
    ["registry.filePattern", ".."],
    ["registry.packagePattern", "veza/{component}"],
    ["snapshots.datasetPattern", "rpool/{container}\nx"],
    ["snapshots.datasetPattern", "rpool/../{container}"],
    // Issue 17, the property test's counterexamples: no bidi character, no unbounded name, no option, no '..' in a ref.
    ["publicHealthUrl", "https://staging.veza.fr/api/v1/health\u202e"],
    ["publicHealthUrl", "https://user:pw@staging.veza.fr/api/v1/health"],
    ["snapshots.prefix", "x".repeat(10_000)],
    ["registry.owner", "x".repeat(10_000)],
    ["registry.packagePattern", "-x"],
    ["registry.filePattern", "-{component}-{sha}.tar.zst"],
    ["pipeline.ref", "a/../../b"],
    ["pipeline.ref", "refs/heads/main.lock"],
    ["pipeline.ref", "main/"],
    ["pipeline.ref", "-main"],
  ];
  for (const [field, value] of badFields) {
    it(`rejects ${field} = ${JSON.stringify(value) ?? "(missing)"}`, () => {
      const error = parseTopology(withField(field, value))._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain(field);
    });
  }

  it("accepts every optional section missing", () => {
    for (const section of [
      "database",
      "snapshots",
      "registry",
      "pipeline",
      "publicHealthUrl",
      "containers.app",
    ])
      expect(parseTopology(withField(section, undefined)).isOk()).toBe(true);
  });

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
    expect(t.traffic).toMatchObject({
      stateFile: "/var/lib/veza/active-color",
      historyFile: "/var/lib/veza/active-color.history",
    });
    expect(t.database.container).toBe("veza-staging-postgres");
    expect(t.registry.owner).toBe("talas");
    expect(t.registry.retention).toBe(30);
    expect(packageName(t.registry, "backend")).toBe("veza-backend");
    expect(artifactFileName(t.registry, "backend", sha)).toBe(`veza-backend-${sha}.tar.zst`);
    expect(datasetName(t.snapshots, "veza-staging-postgres")).toBe(
      "rpool/incus/containers/veza-staging-postgres",
    );
    expect(t.snapshots.prefix).toBe("pre-deploy-");
    expect(t.publicHealthUrl).toBe("https://staging.veza.fr/api/v1/health");
    expect(t.containers.healthPath).toBe("/api/v1/health");
    expect(t.containers.app).toEqual({ releaseFile: "/opt/veza/RELEASE", stageDir: "/opt/veza/releases" });
    expect(t.pipeline).toMatchObject({ rollback: "rollback.yml", cleanup: "cleanup-failed.yml" });
  });

  it("names prod without an env prefix", () => {
    const t = vezaTopology("prod");
    expect(vezaHaproxy("prod").container).toBe("veza-haproxy");
    expect(t.database.container).toBe("veza-postgres");
    expect(colorContainers(t, "blue")).toEqual(["veza-backend-blue", "veza-stream-blue", "veza-web-blue"]);
    expect(datasetName(t.snapshots, "veza-postgres")).toBe("rpool/incus/containers/veza-postgres");
    expect(t.traffic.stateFile).toBe("/var/lib/veza/active-color");
    expect(artifactFileName(t.registry, "web", sha)).toBe(`veza-web-${sha}.tar.zst`);
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
    const containers = { ...staging.containers, pattern: "Bad_{component}_{color}" };
    expect(fieldOf({ ...staging, containers })).toContain("containers.pattern");
  });

  it("rejects workflow paths and health paths that climb out", () => {
    expect(fieldOf({ ...staging, pipeline: { ...staging.pipeline, rollback: "../../x.yml" } })).toContain(
      "pipeline.rollback",
    );
    expect(fieldOf({ ...staging, containers: { ...staging.containers, healthPath: "/../x" } })).toContain(
      "containers.healthPath",
    );
  });
});
