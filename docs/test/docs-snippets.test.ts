import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cliCalls } from "./cli-calls";
import { allCommandSpans, allDocBlocks, type DocBlock, fencedBlocks } from "./doc-blocks";
import { checkScriptCalls, helpProblems } from "./run-help";
import { type Manifest, scriptCalls } from "./script-calls";
import { typecheckSnippets, typescriptBlocks } from "./typecheck-snippets";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MANIFEST = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as Manifest;
const blocks = allDocBlocks(ROOT);

/** A block as if written in a doc, for the cases the docs must never hold. */
const block = (markdown: string): DocBlock[] => fencedBlocks("broken.md", markdown);

describe("the docs' code cannot drift", () => {
  it("every ts block of README, docs/ and the package READMEs typechecks; a broken one is caught", () => {
    const docs = typescriptBlocks(blocks);
    expect(docs.length).toBeGreaterThan(25);
    const broken = typescriptBlocks([
      ...block('text\n\n```ts\nimport { runPlann } from "@backflip/core";\n```\n'),
      ...block(
        'text\n\n<!-- snippet: preamble\nimport type { RollbackPlan } from "@backflip/core";\ndeclare const plan: RollbackPlan;\n-->\n```ts\nconst n: number = plan.render();\n```\n',
      ),
    ]);
    // One program for the docs and the broken blocks: the compiler runs once.
    const problems = typecheckSnippets(ROOT, [...docs, ...broken]);
    expect(problems.filter((p) => !p.where.startsWith("broken.md"))).toEqual([]);
    expect(problems.map((p) => `${p.where} ${p.message.split(".")[0]}`)).toEqual([
      "broken.md:4 TS2724: '\"@backflip/core\"' has no exported member named 'runPlann'",
      "broken.md:8 TS2322: Type 'string' is not assignable to type 'number'",
    ]);
  }, 300_000);

  it("every bash line naming a project script is written as it runs and answers --help", async () => {
    const { calls, problems } = scriptCalls(ROOT, blocks, MANIFEST);
    expect(problems).toEqual([]);
    expect(calls.length).toBeGreaterThan(5);
    expect(await checkScriptCalls(ROOT, calls, { parallel: 2, timeoutMs: 120_000 })).toEqual([]);
  }, 600_000);

  it("every backflip line parses as the CLI parses it: its command, flags and arguments exist", async () => {
    const { lines, problems } = await cliCalls(blocks);
    expect(problems).toEqual([]);
    expect(lines).toBeGreaterThan(20);
    const broken = await cliCalls(
      block(
        [
          "```bash",
          "backflip rollbak --mode fast",
          "backflip rollback --mode fast --no-such-flag",
          "backflip runs extra",
          "backflip resume <run-id> --revert --coordination",
          'backflip lease break --env prod --reason "done by hand" --coordination incus',
          "```",
        ].join("\n"),
      ),
    );
    expect(broken.lines).toBe(5);
    expect(broken.problems.map((p) => `${p.where} ${p.message.split("'").slice(0, 2).join("'")}`)).toEqual([
      'broken.md:2 "rollbak" is no backflip command',
      "broken.md:3 Unknown option '--no-such-flag",
      "broken.md:4 Unexpected argument 'extra",
      "broken.md:5 Option '--coordination <value>",
    ]);
  });

  it("every inline command span naming pnpm or scripts/ is written as it runs (read, not run)", () => {
    const { calls, problems } = scriptCalls(ROOT, allCommandSpans(ROOT), MANIFEST);
    expect(problems).toEqual([]);
    expect(calls.length).toBeGreaterThan(5);
  });

  it("reading a bash block: a missing script, bare pnpm, pnpm's own command and a missing file are problems", () => {
    const { calls, problems } = scriptCalls(
      ROOT,
      block(
        [
          "```bash",
          "npx -y pnpm@12.4.2 install && npx -y pnpm@12.4.2 no-such-script",
          "pnpm lab up   # bare",
          "npx -y pnpm@12.4.2 docs",
          "bash scripts/no-such-file up",
          "FOO=1 npx -y pnpm@12.4.2 lab \\",
          "  up   # continued",
          "npx -y pnpm@12.4.2 -r --filter ./packages/core pack",
          "npx pnpm@10 lab up",
          "```",
        ].join("\n"),
      ),
      MANIFEST,
    );
    expect(problems.map((p) => `${p.where} ${p.message.split(":")[0]}`)).toEqual([
      'broken.md:2 "no-such-script" is no script of package.json',
      "broken.md:3 bare pnpm",
      'broken.md:4 pnpm\'s own "docs" command runs, not the script',
      "broken.md:5 scripts/no-such-file does not exist",
      "broken.md:9 write `npx -y pnpm@12.4.2` (package.json's packageManager), not `npx pnpm@10 lab up`",
    ]);
    expect(calls).toEqual([
      {
        where: "broken.md:6",
        text: "npx -y pnpm@12.4.2 lab up",
        help: ["npx", "-y", "pnpm@12.4.2", "run", "lab", "--help"],
        words: ["up"],
      },
    ]);
  });

  it("a help that exits non-zero, prints no usage, or does not name the doc's subcommand is a problem", () => {
    const call = { where: "x.md:1", text: "bash scripts/backends up", help: ["bash"], words: ["up"] };
    expect(helpProblems(call, { code: 0, output: "usage: backends up|down" })).toEqual([]);
    expect(helpProblems(call, { code: 2, output: "usage: backends up|down" })[0]).toContain("exited 2");
    expect(helpProblems(call, { code: 0, output: "==> up incus\n(ran instead)" })[0]).toContain("no usage");
    expect(helpProblems(call, { code: 0, output: "usage: backends start|stop|backup" })).toEqual([
      '"up" is not in the usage of `bash`',
    ]);
  });

  it("markers: a skip needs its reason, an unknown marker is refused", () => {
    expect(() => block("<!-- snippet: skip -->\n```ts\nx\n```\n")).toThrow(/needs a reason/);
    expect(() => block("<!-- snippet: ignore -->\n```ts\nx\n```\n")).toThrow(/unknown marker/);
    const [skipped] = block("<!-- snippet: skip an outline -->\n\n```ts\nx\n```\n");
    expect(skipped?.markers).toEqual([{ kind: "skip", reason: "an outline" }]);
    expect(typescriptBlocks(skipped ? [skipped] : [])).toEqual([]);
  });
});
