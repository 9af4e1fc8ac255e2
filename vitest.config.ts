import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Example tests that use the lab: they change its containers, or read them while a lab
 * file may be changing them (a restore stops PostgreSQL for seconds).
 */
const LAB_EXAMPLE_TESTS = [
  "examples/rollback-cli/rollback-cli.test.ts",
  "examples/rollback-cli/rollback-cli-lab-path3.test.ts",
  "examples/service/service-lab.test.ts",
  "examples/embedding/stack-drivers-lab.test.ts",
  "packages/cli/test/packed-cli-lab.test.ts",
];

/**
 * The tests of the clustered lab (`BACKFLIP_LAB_SITE=cluster`): the runbook's paths as on
 * the host lab, the cluster's own lab tests, and driver-incus's cluster test — all of
 * them stop cluster members, so they run here, one file at a time.
 */
const LAB_CLUSTER_TESTS = [
  "lab/test/lab-paths.test.ts",
  "lab/test/lab-cluster*.test.ts",
  "packages/driver-incus/test/incus-cluster.real.test.ts",
];

/** Tests run against the TypeScript sources: no build is needed before `pnpm test`. */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@backflip\/core\/testing$/, replacement: src("packages/core/src/testing/index.ts") },
      { find: /^@backflip\/core\/testing\/fakes$/, replacement: src("packages/core/src/testing/fakes.ts") },
      { find: /^@backflip\/core\/driver-kit$/, replacement: src("packages/core/src/driver-kit/index.ts") },
      { find: /^@backflip\/core\/recipes$/, replacement: src("packages/core/src/recipes/index.ts") },
      {
        find: /^@backflip\/driver-forgejo\/testing$/,
        replacement: src("packages/driver-forgejo/src/testing/index.ts"),
      },
      { find: /^@backflip\/cli\/(progress|simulated-fleet)$/, replacement: src("packages/cli/src/$1.ts") },
      { find: /^@backflip\/([a-z-]+)$/, replacement: src("packages/$1/src/index.ts") },
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "docs/test/**/*.test.ts"],
          // Tests that change the lab run in the lab project, one lab file at a time.
          exclude: [...configDefaults.exclude, ...LAB_EXAMPLE_TESTS, ...LAB_CLUSTER_TESTS],
        },
      },
      // The lab's test files share the same containers: one file at a time.
      {
        extends: true,
        test: {
          name: "lab",
          include: ["lab/test/**/*.test.ts", ...LAB_EXAMPLE_TESTS],
          exclude: [...configDefaults.exclude, "lab/test/lab-cluster*.test.ts"],
          fileParallelism: false,
        },
      },
      // The same lab on the 3-member Incus cluster (docs/lab.md): its own containers and ports.
      {
        extends: true,
        test: {
          name: "lab-cluster",
          include: LAB_CLUSTER_TESTS,
          env: { BACKFLIP_LAB_SITE: "cluster" },
          fileParallelism: false,
        },
      },
    ],
  },
});
