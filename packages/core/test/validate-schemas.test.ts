import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  abortSignalSchema,
  absolutePathSchema,
  commandNameSchema,
  datasetNameSchema,
  envNameSchema,
  fileNameSchema,
  freeTextSchema,
  gitRefSchema,
  httpUrlSchema,
  instanceNameSchema,
  localPathSchema,
  parseInput,
  probeRequestSchema,
  shaSchema,
  shortShaSchema,
  simpleNameSchema,
  snapshotNameSchema,
  timerMsSchema,
} from "../src/driver-kit/index";
import { shellArgvSchema, shellRunOptionsSchema } from "../src/shell/parse-shell-run";

const SHA = "0123456789abcdef0123456789abcdef01234567";

const cases: ReadonlyArray<{
  name: string;
  schema: z.ZodType;
  good: readonly unknown[];
  bad: readonly unknown[];
}> = [
  {
    name: "shaSchema",
    schema: shaSchema,
    good: [SHA, "f".repeat(40)],
    bad: [SHA.slice(0, 7), SHA.toUpperCase(), `${SHA}0`, `${SHA.slice(0, 39)}g`, "", 42, null],
  },
  {
    name: "shortShaSchema",
    schema: shortShaSchema,
    good: ["0123456", SHA],
    bad: ["012345", "ABCDEF0", `${SHA}0`, "0123456 ", "", undefined],
  },
  {
    name: "envNameSchema",
    schema: envNameSchema,
    good: ["staging", "prod", "lab-2", "a"],
    bad: ["", "Staging", "2lab", "-lab", "lab_2", "lab 2", `a${"b".repeat(31)}`, "prod\n", 1],
  },
  {
    name: "simpleNameSchema",
    schema: simpleNameSchema,
    good: ["blue", "green", "backend", "web-2"],
    bad: ["", "Blue", "1blue", "-blue", "blue;rm", "bl ue", "../blue", ["blue"]],
  },
  {
    name: "instanceNameSchema",
    schema: instanceNameSchema,
    good: ["veza-staging-haproxy", "veza-haproxy", "A", "a".repeat(63), "Web1"],
    bad: [
      "",
      "1veza",
      "-veza",
      "veza-",
      "veza_haproxy",
      "veza.haproxy",
      "a".repeat(64),
      "veza haproxy",
      "veza/x",
    ],
  },
  {
    name: "absolutePathSchema",
    schema: absolutePathSchema,
    good: ["/", "/etc/haproxy/haproxy.cfg", "/var/lib/veza/active-color.history", "/a..b/c", "/a b/é"],
    bad: [
      "",
      "etc/haproxy",
      "./x",
      "/etc/../passwd",
      "/..",
      "/etc/x\0",
      "~/x",
      7,
      // Issue 17, finding 4: one line, one word, one file.
      "/api/v1/health\n    stats socket /tmp/evil.sock mode 666 level admin",
      "/etc/haproxy;disable frontend fe/haproxy.cfg",
      "/a\rb",
      "/a\u0085b",
      "/a\u007fb",
      "/a\u001bb",
      "/a\u202eb",
      "/a\u2066b",
      "/a\u2028b",
      "/a\ud800b",
      "/a/./b",
      "/a//b",
      "/a/",
      `/${"a".repeat(4096)}`,
    ],
  },
  {
    name: "freeTextSchema(20)",
    schema: freeTextSchema(20),
    good: ["rollback", "alice@host", "ça casse — 500s", "a;b $(x) `y`", "😀"],
    bad: [
      "",
      "a".repeat(21),
      "a\nb",
      "a\tb",
      "a\0b",
      "\u001b[31mred",
      "a\u009bb",
      "a\u202eb",
      "a\u2069b",
      "a\u2029b",
      "\udc00",
      42,
    ],
  },
  {
    name: "fileNameSchema",
    schema: fileNameSchema,
    good: ["veza-backend-0123.tar.zst", "a", "x+y_z", "..a"],
    bad: ["", ".", "..", "../x", "a/b", "/a", "a b", "a\nb", "a;b", "a".repeat(256), "-x", "--x=y"],
  },
  {
    name: "gitRefSchema",
    schema: gitRefSchema,
    good: ["main", "refs/heads/main", "release-1.2", "v1.2.3", "feature/a_b"],
    bad: [
      "",
      "a/../../b",
      "a..b",
      "-main",
      "main/",
      "/main",
      "a//b",
      "a/.b",
      "main.",
      "refs/heads/x.lock",
      "a b",
      "a\nb",
      "a~1",
      "a^",
      "a:b",
      "x".repeat(256),
    ],
  },
  {
    name: "commandNameSchema",
    schema: commandNameSchema,
    good: ["haproxy", "socat", "python3.12", "g++", "_x", "/usr/sbin/haproxy", "/opt/nginx-1.25/sbin/nginx"],
    bad: [
      "",
      "-x",
      "--help",
      ".",
      "..",
      "./nginx",
      "bin/nginx",
      "/usr/../bin/x",
      "/a b",
      "a b",
      "a;b",
      "$(x)",
      "a\nb",
      "/a\u202e",
    ],
  },
  {
    name: "httpUrlSchema",
    schema: httpUrlSchema,
    good: ["https://forgejo.example.org", "http://127.0.0.1:9090", "https://ops.example.org/prometheus/"],
    bad: [
      "",
      "forgejo.example.org",
      "ftp://x.example",
      "HTTPS://x.example",
      "https://forgejo.example.org\n",
      "https://prometheus.example.org/prom\u202e",
      "https://x.example/a b",
      "https://user:pw@x.example",
      "https://x.example/?q=1",
      "https://x.example/#f",
      "https://",
      `https://x.example/${"a".repeat(2048)}`,
    ],
  },
  {
    name: "localPathSchema",
    schema: localPathSchema,
    good: ["/run/ssh-agent.sock", "keys/id_ed25519", "../shared/id_rsa", "/home/a b/.ssh/id"],
    bad: ["", "\ntouch /tmp/x\n", "a\u0000b", "a\u2028b", "\u001b[31m", `/${"a".repeat(4096)}`],
  },
  {
    name: "datasetNameSchema",
    schema: datasetNameSchema,
    good: ["rpool", "rpool/incus/containers/veza-staging-postgres", "tank/a_b.c:d"],
    bad: [
      "",
      "/rpool",
      "rpool/",
      "rpool//x",
      "rpool/a b",
      "rpool/x@snap",
      "-rpool",
      "rpool/$(id)",
      "rpool/../x",
      "rpool/./x",
    ],
  },
  {
    name: "snapshotNameSchema",
    schema: snapshotNameSchema,
    good: ["pre-deploy-2024-06-01T12:00", "pre-deploy-abc", "a"],
    bad: ["", "-pre", "pre deploy", "pre/deploy", "pre@deploy", "a".repeat(202), "pre;rm"],
  },
  {
    name: "timerMsSchema",
    schema: timerMsSchema,
    good: [1, 1000, 2_147_483_647],
    bad: [0, -1, 1.5, 2_147_483_648, Number.POSITIVE_INFINITY, Number.NaN, "1000"],
  },
  {
    name: "abortSignalSchema",
    schema: abortSignalSchema,
    good: [new AbortController().signal, AbortSignal.abort()],
    bad: [null, {}, "signal", { aborted: false }, new AbortController()],
  },
  {
    name: "shellArgvSchema",
    schema: shellArgvSchema,
    good: [["echo"], ["printf", "%s", ""], ["sh", "-c", "echo $HOME", "a b"]],
    bad: [[], [""], "echo hi", ["echo", 1], ["echo", "a\0b"], ["\0"], null],
  },
  {
    name: "shellRunOptionsSchema",
    schema: shellRunOptionsSchema,
    good: [
      {},
      { stdin: "x", timeoutMs: 10, maxOutputBytes: 0, cwd: "/tmp", env: { A: "1" } },
      { stdin: new Uint8Array(2) },
    ],
    bad: [
      { timeoutMs: 0 },
      { maxOutputBytes: -1 },
      { stdin: 5 },
      { cwd: "" },
      { cwd: "/tmp\0" },
      { env: { "A=B": "1" } },
      { env: { "": "1" } },
      { env: { A: 1 } },
      { signal: {} },
    ],
  },
  {
    name: "probeRequestSchema",
    schema: probeRequestSchema,
    good: [
      { url: "https://staging.veza.fr/api/v1/health" },
      {
        url: "http://127.0.0.1:8080/h",
        expectStatus: 204,
        attempts: 1,
        intervalMs: 0,
        headers: { "x-token": "t" },
      },
    ],
    bad: [
      { url: "ftp://veza.fr/h" },
      { url: "veza.fr/h" },
      { url: "javascript:alert(1)" },
      { url: "https://veza.fr/h", attempts: 0 },
      { url: "https://veza.fr/h", expectStatus: 600 },
      { url: "https://veza.fr/h", bodyIncludes: "" },
      { url: "https://veza.fr/h", headers: { "x-a": "a\r\nb" } },
      { url: "https://veza.fr/h", headers: { "x a": "v" } },
      {},
    ],
  },
];

describe.each(cases)("$name", ({ schema, good, bad }) => {
  it.each(good.map((value) => [value]))("accepts %j", (value) => {
    expect(schema.safeParse(value).success).toBe(true);
  });
  it.each(bad.map((value) => [value]))("rejects %j", (value) => {
    expect(schema.safeParse(value).success).toBe(false);
  });
});

describe("parseInput", () => {
  it("returns the parsed value", () => {
    expect(parseInput(envNameSchema, "staging", { driver: "core", op: "test" })._unsafeUnwrap()).toBe(
      "staging",
    );
  });

  it("returns invalid_input naming the field, the driver, the op and the hint", () => {
    const error = parseInput(
      probeRequestSchema,
      { url: "https://veza.fr/h", attempts: 0 },
      {
        driver: "http-probe",
        op: "check",
        hint: "fix it",
      },
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({
      _tag: "DriverError",
      driver: "http-probe",
      op: "check",
      reason: "invalid_input",
      hint: "fix it",
    });
    expect(error.message).toContain("attempts");
  });
});
