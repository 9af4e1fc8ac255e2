import type { DriverError } from "@backflip/core";
import { recordingShell } from "@backflip/core/testing";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { createNginxSwitch, defaultNginxTemplate, type NginxSwitchOptions } from "../src/index";
import type { nginxSwitchOptionsSchema } from "../src/nginx-switch-options";
import { paperOptions } from "./support/paper-options";

const shell = recordingShell();
const base = paperOptions(shell);

function refused(options: unknown): DriverError {
  const error = createNginxSwitch(options as NginxSwitchOptions)._unsafeUnwrapErr();
  expect(error).toMatchObject({ driver: "nginx", op: "create", reason: "invalid_input" });
  return error;
}

describe("createNginxSwitch options", () => {
  it("the documented options type is what the schema accepts", () => {
    expectTypeOf<NginxSwitchOptions>().toExtend<z.input<typeof nginxSwitchOptionsSchema>>();
  });

  it("builds a switch from good options, running nothing", () => {
    const sw = createNginxSwitch(base)._unsafeUnwrap();
    expect(sw.name).toBe("nginx");
    expect(sw.colors).toEqual(["blue", "green"]);
    expect(shell.calls).toHaveLength(0);
  });

  it("names an upstream without servers for a color", () => {
    const e = refused({ ...base, upstreams: { app: { blue: "10.0.0.2:8080" } } });
    expect(e.message).toContain("upstreams.app.green");
  });

  it("refuses a status server that is not on loopback", () => {
    expect(refused({ ...base, statusListen: "0.0.0.0:8091" }).message).toContain("statusListen");
  });

  it("refuses paths nginx would read differently, or the include being the main config", () => {
    expect(refused({ ...base, includeFile: "/etc/nginx/a b.conf" }).message).toContain("includeFile");
    expect(refused({ ...base, mainConfig: "nginx.conf" }).message).toContain("mainConfig");
    expect(refused({ ...base, includeFile: base.mainConfig }).message).toContain("includeFile");
  });

  it("refuses a bad server address, upstream name, binary or timeout", () => {
    expect(refused({ ...base, upstreams: { app: { blue: "10.0.0.2", green: "x:1" } } }).message).toContain(
      "upstreams.app.blue",
    );
    expect(refused({ ...base, upstreams: { "a b": { blue: "h:1", green: "h:2" } } }).message).toContain(
      "upstreams",
    );
    expect(refused({ ...base, upstreams: {} }).message).toContain("upstreams");
    expect(refused({ ...base, nginxBin: "nginx -q" }).message).toContain("nginxBin");
    expect(refused({ ...base, confirmTimeoutMs: 0 }).message).toContain("confirmTimeoutMs");
    expect(refused({ ...base, colors: ["blue"] }).message).toContain("colors");
  });

  it("refuses something that is not a Shell", () => {
    expect(refused({ ...base, shell: {} }).message).toContain("shell");
  });

  it("refuses a template that throws, returns no string, or does not stamp the revision", () => {
    const boom = refused({
      ...base,
      template: () => {
        throw new Error("missing upstream");
      },
    });
    expect(boom.message).toContain("missing upstream");
    refused({ ...base, template: () => 42 });
    const unstamped = refused({
      ...base,
      template: (v: Parameters<typeof defaultNginxTemplate>[0]) =>
        defaultNginxTemplate(v).split("\n").slice(1).join("\n"),
    });
    expect(unstamped.hint).toContain("backflip-revision");
  });

  it("changes nothing for a request to a color outside the switch", async () => {
    const sw = createNginxSwitch(base)._unsafeUnwrap();
    const e = (await sw.render({ color: "purple", runId: "r1", actor: "ops" }))._unsafeUnwrapErr();
    expect(e.reason).toBe("invalid_input");
    expect((await sw.record({ color: "purple", runId: "r1", actor: "ops" }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect(shell.calls).toHaveLength(0);
  });
});
