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
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "lab/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
