import { vezaTopology } from "@backflip/core/recipes";
import {
  type PipelineCapability,
  runArtifactRegistryConformance,
  runPipelineConformance,
} from "@backflip/core/testing";
import {
  FAKE_FORGEJO_VERSIONS,
  type FakeForgejoOptions,
  fakeVersionProfile,
  startFakeForgejo,
} from "@backflip/driver-forgejo/testing";
import { createForgejoPipeline } from "../src/forgejo-pipeline";
import { createForgejoRegistry } from "../src/forgejo-registry";

const topology = vezaTopology("staging");

const registryFlavours: [string, FakeForgejoOptions][] = [
  ...FAKE_FORGEJO_VERSIONS.map((version): [string, FakeForgejoOptions] => [`fake ${version}`, { version }]),
  [
    "fake 16.0.0: storage redirects, current Gitea's `size` and old Gitea's 400 duplicate, small pages",
    { redirectDownloads: true, sizeKey: "size", duplicateStatus: 400, maxPageSize: 2, defaultPageSize: 2 },
  ],
];

for (const [name, options] of registryFlavours) {
  runArtifactRegistryConformance({
    name: `forgejo (${name})`,
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

const pipelineFlavours: [string, FakeForgejoOptions][] = [
  ...FAKE_FORGEJO_VERSIONS.map((version): [string, FakeForgejoOptions] => [`fake ${version}`, { version }]),
  ["fake 16.0.0, dispatch answering 204", { dispatchReply: "no-content" }],
];

for (const [name, options] of pipelineFlavours) {
  const profile = fakeVersionProfile(options.version ?? "16.0.0");
  const unsupported: PipelineCapability[] = [
    ...(profile.dispatch ? [] : ["dispatch" as const]),
    ...(profile.cancel ? [] : ["cancel" as const]),
  ];
  runPipelineConformance({
    name: `forgejo (${name})`,
    unsupported,
    async setup() {
      const fake = await startFakeForgejo({ workflows, runHiddenForListings: 1, ...options });
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
