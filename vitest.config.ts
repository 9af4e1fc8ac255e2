import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Tests run against the TypeScript sources: no build is needed before `pnpm test`. */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@backflip\/core\/testing$/, replacement: src("packages/core/src/testing/index.ts") },
      {
        find: /^@backflip\/driver-forgejo\/testing$/,
        replacement: src("packages/driver-forgejo/src/testing/index.ts"),
      },
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
        test: { name: "unit", include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"] },
      },
      // The lab's test files share the same containers: one file at a time.
      { extends: true, test: { name: "lab", include: ["lab/test/**/*.test.ts"], fileParallelism: false } },
    ],
  },
});
