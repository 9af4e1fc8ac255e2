import { errAsync, okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  createPlan,
  defineStep,
  MemoryJournal,
  MemoryLeaseLock,
  type RunEvent,
  runPlan,
  stepError,
} from "../src/index";
import type { Decision } from "../src/recipes/index";
import { postIncident } from "../src/recipes/index";

/** Operator or backend text trying every Markdown and HTML structure there is. */
const HOSTILE = [
  "x <script>alert(1)</script> <img src=x onerror=alert(1)>",
  "[click](javascript:alert(1)) ![i](http://e.test/x.png) <https://e.test>",
  "**bold** _em_ ~~gone~~ `code` | a | b | &#x202E; &lt;",
  "\u202Eevil\u2066 \u001b[31mred\u0085",
  "\n# Injected heading\n- injected item\n> quote\n\n```\nfence\n```\n---",
].join(" ");

/** The template's own headings, in order, for a run that failed and was reverted. */
const HEADINGS = [
  "### What happened",
  "### Why the deploy failed",
  "### What triggered the rollback",
  "### Warnings",
  "### Timings",
  "### Every command run",
  "### Run log",
  "### Follow-ups",
];

async function hostileRun(): Promise<RunEvent[]> {
  const apply = defineStep({
    id: "apply",
    title: `Apply ${HOSTILE}`,
    kind: "change",
    describe: () => [{ kind: "note", text: `echo \`\`\`\`\` ${HOSTILE}` }],
    run: (ctx) => {
      ctx.log(`backend said: ${HOSTILE}`);
      return okAsync({});
    },
    undo: () => okAsync(undefined),
  });
  const broken = defineStep({
    id: "broken",
    title: "Break",
    kind: "change",
    describe: () => [{ kind: "note", text: "break" }],
    run: () => errAsync(stepError("broken", "failed", `backend error: ${HOSTILE}`, { hint: HOSTILE })),
  });
  const plan = createPlan({ path: "custom", env: "staging", actor: "alice", reason: "postmortem" }, [
    apply,
    broken,
  ])._unsafeUnwrap();
  const events: RunEvent[] = [];
  await runPlan(plan, {
    journal: new MemoryJournal(),
    lock: new MemoryLeaseLock(),
    onEvent: (e) => events.push(e),
  });
  return events;
}

describe("postIncident escapes what people and backends wrote (issue 17, finding 10)", () => {
  it("operator text, step titles, logs, errors and commands cannot add Markdown or HTML structure", async () => {
    const decision: Decision = {
      action: "rollback",
      rule: "path-1",
      reason: HOSTILE,
      runbook: HOSTILE,
      warnings: [HOSTILE],
    };
    const events = await hostileRun();
    const { markdown } = (
      await postIncident({ events, trigger: HOSTILE, whyFailed: HOSTILE, decision })
    )._unsafeUnwrap();
    const lines = markdown.split("\n");
    const block = /^(`{3,})\n[\s\S]*?\n\1$/m;
    const outside = markdown.replace(block, "").split("\n");

    // Only the template's headings; no injected list item, quote, rule or fence.
    expect(outside.filter((l) => /^#{1,6}\s/.test(l)).slice(1)).toEqual(HEADINGS);
    expect(outside.filter((l) => /^(?:- injected|> quote|---|`{3})/.test(l))).toEqual([]);
    // No raw HTML, entity, link, image, emphasis or strikethrough from the text.
    for (const raw of [
      /(^|[^\\])</m,
      /(^|[^\\])&#/m,
      /(^|[^\\])\]\(/m,
      /(^|[^\\])\*\*bold/m,
      /(^|[^\\])~~gone/m,
    ])
      expect(outside.join("\n")).not.toMatch(raw);
    // Bidi, ESC and NEL are visible escapes, never raw characters.
    for (const c of ["\u202E", "\u2066", "\u001b", "\u0085"]) expect(markdown).not.toContain(c);
    expect(markdown).toContain("\\u202Eevil");
    // Every table row keeps its six cell borders.
    for (const row of lines.filter((l) => /^\| \d/.test(l)))
      expect(row.replace(/\\\|/g, "").match(/\|/g)).toHaveLength(6);
    // The commands block opens and closes once: no run of backticks in a command is long enough to close it.
    const open = lines.find((l) => /^`{3,}$/.test(l)) ?? "";
    expect(open.length).toBeGreaterThan(5);
    expect(lines.filter((l) => /^`{3,}/.test(l) && l.length >= open.length)).toEqual([open, open]);
    // The words are all still there, readable.
    expect(markdown).toContain("alert(1)");
    expect(markdown).toContain("Injected heading");
  });

  it("keeps ordinary text as it was written", async () => {
    const events = await hostileRun();
    const { markdown } = (
      await postIncident({ events, trigger: "green's deploy is bad (500s on /api)", whyFailed: "a nil map" })
    )._unsafeUnwrap();
    expect(markdown).toContain("green's deploy is bad (500s on /api)");
    expect(markdown).toContain("a nil map");
  });
});
