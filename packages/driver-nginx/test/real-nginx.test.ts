import { readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { defaultNginxTemplate, type NginxTemplate } from "../src/index";
import { type NginxLab, nginxReady, startNginxLab } from "./support/nginx-lab";

// Ports: front and status servers 18710-18717; 18718 held by the test (a port nginx cannot bind).
const skip = skipUnlessBackend(nginxReady, "nginx", "bash scripts/backends up nginx");
const green = { color: "green", runId: "run-1", actor: "test" };
const HELD_PORT = 18718;

/** Fresh connections to the status location, in sequence: what each worker that answered has loaded. */
async function answers(lab: NginxLab, count: number): Promise<string[]> {
  const url = `http://${lab.options.statusListen}/backflip-revision`;
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(url, { headers: { connection: "close" } });
    seen.push((await res.text()).trim());
  }
  return seen;
}

const candidates = async (lab: NginxLab) => (await readdir(lab.dir)).filter((f) => f.includes(".backflip-"));

describe.skipIf(skip)("driver-nginx on real nginx", () => {
  let lab: NginxLab | undefined;
  afterEach(async () => {
    await lab?.stop();
    lab = undefined;
  });

  it("a candidate nginx -t rejects is invalid_input with nginx's words; nothing live changes, no file is left", async () => {
    lab = await startNginxLab({ port: 18710, statusPort: 18711, colorServers: true });
    const before = await readFile(lab.includeFile, "utf8");
    const live = (await lab.sw.liveRevision())._unsafeUnwrap();
    const config = (await lab.sw.render(green))._unsafeUnwrap();
    const broken = { ...config, content: `${config.content}upstream app { server 127.0.0.1:1; }\n` };
    const error = (await lab.sw.validate(broken))._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.message).toContain("nginx -t rejected the config");
    expect(error.message).toContain('duplicate upstream "app"');
    expect((await lab.sw.install(broken))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(await readFile(lab.includeFile, "utf8")).toBe(before);
    expect(await candidates(lab)).toEqual([]);
    expect((await lab.sw.liveRevision())._unsafeUnwrap()).toBe(live);
    expect(await lab.get()).toBe("200 blue");
  });

  it("a config the master rejects at reload (nginx -s reload exits 0): confirm fails, traffic stays, undo restores", async () => {
    const held: Server = createServer();
    await new Promise<void>((resolve) => held.listen(HELD_PORT, "127.0.0.1", resolve));
    // nginx -t does not bind, so a listen on a port in use passes the check; the master then fails to bind it.
    const template: NginxTemplate = (v) =>
      defaultNginxTemplate(v).replace(
        `listen ${v.statusListen};`,
        v.color === "green"
          ? `listen ${v.statusListen};\n    listen 127.0.0.1:${HELD_PORT};`
          : `listen ${v.statusListen};`,
      );
    try {
      lab = await startNginxLab({
        port: 18712,
        statusPort: 18713,
        colorServers: true,
        extra: { template, confirmTimeoutMs: 1500 },
      });
      const live = (await lab.sw.liveRevision())._unsafeUnwrap() as string;
      const config = (await lab.sw.render(green))._unsafeUnwrap();
      (await lab.sw.validate(config))._unsafeUnwrap();
      (await lab.sw.install(config))._unsafeUnwrap();
      (await lab.sw.reload())._unsafeUnwrap();
      const error = (await lab.sw.confirm(config.revision))._unsafeUnwrapErr();
      expect(error.reason).toBe("failed");
      expect(error.message).toContain(`still reports revision ${live}`);
      expect(error.hint).toContain("[emerg]");
      expect(await lab.errorLog()).toContain(`bind() to 127.0.0.1:${HELD_PORT} failed`);
      expect(await lab.get()).toBe("200 blue");

      expect((await lab.sw.restorePrevious())._unsafeUnwrap().revision).toBe(live);
      (await lab.sw.reload())._unsafeUnwrap();
      (await lab.sw.confirm(live))._unsafeUnwrap();
      expect(await lab.get()).toBe("200 blue");
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
  });

  it("confirm waits out the old workers: right after it, every new connection gets the new config", async () => {
    lab = await startNginxLab({ port: 18714, statusPort: 18715, colorServers: true, workers: 4 });
    for (const [i, color] of ["green", "blue", "green"].entries()) {
      const config = (await lab.sw.render({ color, runId: `run-${i}`, actor: "test" }))._unsafeUnwrap();
      (await lab.sw.validate(config))._unsafeUnwrap();
      (await lab.sw.install(config))._unsafeUnwrap();
      (await lab.sw.reload())._unsafeUnwrap();
      (await lab.sw.confirm(config.revision))._unsafeUnwrap();
      expect(new Set(await answers(lab, 40))).toEqual(new Set([config.revision]));
      expect(await lab.get()).toBe(`200 ${color}`);
    }
  });

  it("a main config that does not include the include file: validate fails naming it, nothing changes", async () => {
    lab = await startNginxLab({ port: 18716, statusPort: 18717 });
    const main = await readFile(lab.options.mainConfig, "utf8");
    await writeFile(
      lab.options.mainConfig,
      main.replace(`include ${lab.includeFile};`, "include conf.d/*.conf;"),
    );
    const before = await readFile(lab.includeFile, "utf8");
    const error = (await lab.sw.validate((await lab.sw.render(green))._unsafeUnwrap()))._unsafeUnwrapErr();
    expect(error.reason).toBe("failed");
    expect(error.message).toContain(`has no line \`include ${lab.includeFile};\``);
    expect(await readFile(lab.includeFile, "utf8")).toBe(before);
    expect(await candidates(lab)).toEqual([]);
  });

  it("nginx not running: liveRevision is unavailable, and says where it asked", async () => {
    lab = await startNginxLab({ port: 18716, statusPort: 18717 });
    const sw = lab.sw;
    await lab.stop();
    lab = undefined;
    const error = (await sw.liveRevision())._unsafeUnwrapErr();
    expect(error.reason).toBe("unavailable");
    expect(error.hint).toContain("127.0.0.1:18717");
  });
});
