import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { okAsync, ResultAsync } from "neverthrow";
import { afterEach, describe, expect, it } from "vitest";
import type { ArtifactRegistry, ContainerHost } from "../src/index";
import { vezaTopology } from "../src/recipes/index";
import { stageArtifactsStep } from "../src/recipes/stage-artifacts-step";
import { recordingShell, stepContext } from "../src/testing/fakes";
import type { TopologyWith } from "../src/topology/topology-with";

const SHA = "0123456789abcdef0123456789abcdef01234567";

/** A registry whose download writes the artifact where it is told, recording each destination. */
function writingRegistry(downloads: string[]): ArtifactRegistry {
  return {
    name: "fake",
    download: (_ref: unknown, dest: string) => {
      downloads.push(dest);
      return ResultAsync.fromSafePromise(writeFile(dest, "artifact")).map(
        () => ({ component: "x", sha: SHA, size: 8 }) as never,
      );
    },
  } as unknown as ArtifactRegistry;
}

/** A host with no release files that accepts every push. */
function acceptingHost(pushed: string[]): ContainerHost {
  return {
    shell: () => recordingShell(),
    pullFile: () => okAsync(new Uint8Array()),
    pushFile: (container: string, path: string) => {
      pushed.push(`${container}:${path}`);
      return okAsync(undefined);
    },
  } as unknown as ContainerHost;
}

describe("stageArtifactsStep", () => {
  let outside: string | undefined;
  afterEach(async () => {
    if (outside) await rm(outside, { recursive: true, force: true });
    outside = undefined;
  });

  it("refuses a file pattern that leaves its directory (issue 17, finding 4): invalid_input, nothing downloaded or pushed", async () => {
    // A Topology built by hand is not parsed: the step checks the names it joins itself.
    outside = await mkdtemp(join(tmpdir(), "backflip-outside-"));
    const leaving = `../../../../../..${outside}/{component}-{sha}.tar.zst`;
    const base = vezaTopology("staging");
    const topology = {
      ...base,
      registry: { ...base.registry, filePattern: leaving },
    } as TopologyWith<"app">;
    const downloads: string[] = [];
    const pushed: string[] = [];
    const step = stageArtifactsStep(
      acceptingHost(pushed),
      writingRegistry(downloads),
      topology,
      "green",
      SHA,
    );
    const error = (await step.run(stepContext()))._unsafeUnwrapErr();
    expect(error).toMatchObject({ stepId: "stage-artifacts", reason: "invalid_input" });
    expect(error.hint).toContain("registry.filePattern");
    expect(downloads).toEqual([]);
    expect(pushed).toEqual([]);
    expect(await readdir(outside)).toEqual([]);
  });

  it("stages each artifact under its own temp directory and the stage directory", async () => {
    const downloads: string[] = [];
    const pushed: string[] = [];
    const topology = vezaTopology("staging") as TopologyWith<"app">;
    const step = stageArtifactsStep(
      acceptingHost(pushed),
      writingRegistry(downloads),
      topology,
      "green",
      SHA,
    );
    expect((await step.run(stepContext())).isOk()).toBe(true);
    expect(downloads).toHaveLength(3);
    expect(new Set(downloads.map(dirname)).size).toBe(1);
    expect(dirname(downloads[0] ?? "")).toContain(join(tmpdir(), "backflip-stage-"));
    expect(pushed).toContain(
      `veza-staging-backend-green:${topology.containers.app.stageDir}/veza-backend-${SHA}.tar.zst`,
    );
  });

  it("joins the stage directory and the file name as a plain path, also at /", async () => {
    const pushed: string[] = [];
    const base = vezaTopology("staging");
    const topology = {
      ...base,
      containers: { ...base.containers, app: { ...base.containers.app, stageDir: "/" } },
    } as TopologyWith<"app">;
    const step = stageArtifactsStep(acceptingHost(pushed), writingRegistry([]), topology, "green", SHA);
    expect((await step.run(stepContext())).isOk()).toBe(true);
    expect(pushed).toContain(`veza-staging-web-green:/veza-web-${SHA}.tar.zst`);
  });
});
