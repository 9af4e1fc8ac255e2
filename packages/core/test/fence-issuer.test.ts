import { hostname } from "node:os";
import { join } from "node:path";
import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  createPlan,
  defineStep,
  type Fence,
  FileLeaseLock,
  MemoryJournal,
  MemoryLeaseLock,
  runPlan,
} from "../src/index";
import { tempDirs } from "./support/temp-dirs";
import { INTENT } from "./support/world";

const tempDir = tempDirs("backflip-fence-issuer-");

describe("the issuer of a run's fence (whose tokens a switch compares it with)", () => {
  it("a file lock names its machine and directory; memory locks are each their own", async () => {
    const dir = await tempDir();
    expect(new FileLeaseLock({ dir: join(dir, "a") }).issuer).toBe(`file:${hostname()}:${join(dir, "a")}`);
    expect(new FileLeaseLock({ dir: join(dir, "a") }).issuer).not.toBe(
      new FileLeaseLock({ dir: join(dir, "b") }).issuer,
    );
    expect(new MemoryLeaseLock().issuer).toMatch(/^memory:/);
    expect(new MemoryLeaseLock().issuer).not.toBe(new MemoryLeaseLock().issuer);
  });

  it("every step of a run gets the environment, the lease's token and the lock's issuer", async () => {
    const lock = new FileLeaseLock({ dir: await tempDir() });
    const seen: (Fence | undefined)[] = [];
    const step = defineStep({
      id: "look",
      title: "look at the fence",
      kind: "check",
      idempotent: true,
      describe: () => [],
      run: (ctx) => {
        seen.push(ctx.fence);
        return okAsync(null);
      },
    });
    const plan = createPlan(INTENT, [step])._unsafeUnwrap();
    (await runPlan(plan, { journal: new MemoryJournal(), lock }))._unsafeUnwrap();
    expect(seen).toEqual([{ key: INTENT.env, token: expect.any(Number), issuer: lock.issuer }]);
  });
});
