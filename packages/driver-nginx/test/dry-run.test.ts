import { renderAction } from "@backflip/core";
import { recordingShell } from "@backflip/core/testing";
import { describe, expect, it } from "vitest";
import { createNginxSwitch } from "../src/index";
import { paperOptions } from "./support/paper-options";

describe("the nginx switch's dry run", () => {
  const shell = recordingShell(() => ({}), { location: { kind: "ssh", host: "proxy.example", user: "ops" } });
  const sw = createNginxSwitch(paperOptions(shell))._unsafeUnwrap();
  const lines = (operation: Parameters<typeof sw.describe>[0]) =>
    sw.describe(operation, { color: "green" }).map(renderAction);

  it("checks the candidate with nginx -t on a copy of the main config, over ssh", () => {
    const validate = lines("validate");
    expect(validate).toContain(
      `ssh ops@proxy.example -- 'nginx -t -q -c '\\''/etc/nginx/.nginx.conf.backflip-<random>.conf'\\'''`,
    );
    expect(validate.join("\n")).toContain("/etc/nginx/backflip/.upstreams.conf.backflip-");
  });

  it("reloads with nginx -s reload and confirms by asking the status location, over ssh", () => {
    const activate = lines("activate");
    expect(activate).toContain("ssh ops@proxy.example -- 'nginx -c /etc/nginx/nginx.conf -s reload'");
    expect(activate).toContain(
      "ssh ops@proxy.example -- 'curl -fsS --max-time 2 http://127.0.0.1:8091/backflip-revision'",
    );
  });

  it("names only nginx's own commands and files, and runs nothing", () => {
    const all = (["readState", "validate", "activate", "record", "restore"] as const).flatMap(lines);
    const text = all.join("\n");
    expect(text).not.toMatch(/haproxy|incus/i);
    for (const line of all.filter((l) => !l.startsWith("#")))
      expect(line.startsWith("ssh ops@proxy.example -- ")).toBe(true);
    expect(shell.calls).toHaveLength(0);
  });
});
