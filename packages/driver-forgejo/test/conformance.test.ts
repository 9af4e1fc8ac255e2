import { vezaTopology } from "@backflip/core";
import { runArtifactRegistryConformance, runPipelineConformance } from "@backflip/core/testing";
import { type FakeForgejoOptions, startFakeForgejo } from "@backflip/driver-forgejo/testing";
import { createForgejoPipeline } from "../src/forgejo-pipeline";
import { createForgejoRegistry } from "../src/forgejo-registry";

const topology = vezaTopology("staging");

const registryFlavours: [string, FakeForgejoOptions][] = [
  ["forgejo (fake: current Forgejo)", {}],
  [
    "forgejo (fake: storage redirects, older Gitea's `Size` and 400 duplicate, small pages)",
    { redirectDownloads: true, sizeKey: "Size", duplicateStatus: 400, maxPageSize: 2, defaultPageSize: 2 },
  ],
];

for (const [name, options] of registryFlavours) {
  runArtifactRegistryConformance({
    name,
    async setup() {
      const fake = await startFakeForgejo(options);
      const port = createForgejoRegistry({
        baseUrl: fake.baseUrl,
        token: fake.token,
        topology,
      })._unsafeUnwrap();
      return {
        port,
        fixtures: {
          component: "backend",
          corrupt: async (ref) => {
            await fake.corrupt("talas", "veza-backend", ref.sha, `veza-backend-${ref.sha}.tar.zst`);
          },
        },
        teardown: () => fake.close(),
      };
    },
  });
}

const workflows: FakeForgejoOptions["workflows"] = {
  "succeeds.yml": { statuses: ["waiting", "running", "success"] },
  "fails.yml": { statuses: ["waiting", "running", "failure"] },
  "long.yml": { statuses: ["waiting", "running"] },
};

for (const dispatchReply of ["run-info", "no-content"] as const) {
  runPipelineConformance({
    name: `forgejo (fake: dispatch answers ${dispatchReply === "run-info" ? "201 with run info" : "204"})`,
    async setup() {
      const fake = await startFakeForgejo({ workflows, dispatchReply, runHiddenForListings: 1 });
      const port = createForgejoPipeline({
        baseUrl: fake.baseUrl,
        token: fake.token,
        owner: "talas",
        repo: "veza",
        runLookupPollMs: 20,
      })._unsafeUnwrap();
      const request = (workflow: string) => ({
        workflow,
        ref: "main",
        inputs: { env: "staging", mode: "full" },
      });
      return {
        port,
        fixtures: {
          succeeds: request("succeeds.yml"),
          fails: request("fails.yml"),
          longRunning: request("long.yml"),
          missing: request("missing.yml"),
          pollMs: 20,
        },
        teardown: () => fake.close(),
      };
    },
  });
}
