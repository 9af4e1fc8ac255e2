import type { DriverError } from "@backflip/core";
import { recordingShell } from "@backflip/core/testing/fakes";
import { createForgejoPipeline, createForgejoRegistry, type ForgejoConfig } from "@backflip/driver-forgejo";
import { createHaproxySwitch, type HaproxySwitchOptions } from "@backflip/driver-haproxy";
import { createIncusHost, type IncusHostOptions } from "@backflip/driver-incus";
import { type FleetOptions, tryCreateFleet } from "@backflip/driver-mock";
import { createNginxSwitch, type NginxSwitchOptions } from "@backflip/driver-nginx";
import {
  createPgDatabase,
  createPsqlDatabase,
  type PgDatabaseOptions,
  type PsqlDatabaseOptions,
} from "@backflip/driver-postgres";
import { PrometheusAlertSource, type PrometheusOptions } from "@backflip/driver-prometheus";
import { createSshShell, type SshShellOptions } from "@backflip/driver-ssh";
import { createZfsSnapshotStore, type ZfsSnapshotStoreOptions } from "@backflip/driver-zfs";
import fc from "fast-check";
import type { Result, ResultAsync } from "neverthrow";
import { describe, expect } from "vitest";
import { type FieldKind, hostileExamples, hostileFor, propertyParams } from "./hostile-strings";
import { useSandbox } from "./sandbox";
import {
  expectInert,
  type Field,
  type FieldSpec,
  type Fields,
  flattenFields,
  fuzzed,
  itFor,
  type OpenFindings,
  withField,
} from "./surface-fields";

/**
 * Every driver constructor with hostile option values (constructors are pure: no
 * network, no command): each value is refused with `invalid_input`, or accepted only when
 * inert for its kind; a refusal never quotes a secret option.
 */

const box = useSandbox();
const RUNS = 6;

/** Secrets the base options carry: no message may quote them. */
const TOKEN = "canary-token-5f2c9a71";
const PASSWORD = "canary-password-77b1";
const shell = recordingShell();

/** Fields another helper's open fix of issue 17 covers (see {@link OpenFindings}). */
const OPEN: OpenFindings = {};

/** One constructor as the property sees it. */
interface Ctor<O> {
  readonly name: string;
  readonly fields: Fields<O>;
  readonly options: O;
  readonly create: (options: O) => Result<unknown, DriverError> | ResultAsync<unknown, DriverError>;
  /** Union options: each variant's options replace the base's, and its dotted string positions are fuzzed. */
  readonly variants?: readonly Variant[];
  /** Records whose keys become names (dotted path → kind): the first key is renamed everywhere it is used. */
  readonly keys?: Readonly<Record<string, FieldKind>>;
}

/** One shape of a union option (a reload method, `ssl`, `jump`) and the string positions it adds. */
interface Variant {
  readonly label: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const ctor = <O>(c: Ctor<O>) => c as unknown as Ctor<Record<string, unknown>>;

const state = { stateFile: "/var/lib/veza/active-color", historyFile: "/var/lib/veza/active-color.history" };

const CTORS = [
  ctor<HaproxySwitchOptions>({
    name: "haproxy",
    fields: {
      shell: "structure",
      env: "name",
      colors: { "0": "name" },
      components: { "0": "name" },
      configPath: "path",
      healthPath: "url-path",
      state: { stateFile: "path", historyFile: "path", historyLimit: "number" },
      servers: "structure",
      mode: "enum",
      binds: { "0": "text" },
      statsSocket: "path",
      mapFile: "path",
      reload: "structure",
      routes: { backend: "url-path" },
      defaultComponent: "name",
      template: "payload",
      vars: "structure",
      httpClientCaFile: "path",
      haproxyBin: "program",
      socatBin: "program",
      runtimeApi: "structure",
      processSignals: "structure",
      drain: "boolean",
      confirmTimeoutMs: "number",
      commandTimeoutMs: "number",
      now: "structure",
    },
    options: {
      shell,
      env: "staging",
      colors: ["blue", "green"],
      components: ["backend"],
      configPath: "/etc/haproxy/haproxy.cfg",
      healthPath: "/api/v1/health",
      state: { ...state, historyLimit: 50 },
      servers: { backend: { blue: "10.0.0.1:8080", green: "10.0.0.2:8080" } },
      binds: ["*:80"],
      statsSocket: "/run/haproxy/admin.sock",
      mapFile: "/etc/haproxy/backflip-color.map",
      routes: { backend: "/api/" },
      defaultComponent: "backend",
      httpClientCaFile: "/etc/ssl/certs/ca.pem",
      haproxyBin: "haproxy",
      socatBin: "socat",
    },
    create: createHaproxySwitch,
    variants: [
      { label: "servers", options: {}, fields: { "servers.backend.blue": "address" } },
      {
        label: "reload signal",
        options: { reload: { method: "signal", pidFile: "/run/haproxy.pid" } },
        fields: { "reload.pidFile": "path" },
      },
      {
        label: "reload systemctl",
        options: { reload: { method: "systemctl", unit: "haproxy.service" } },
        fields: { "reload.unit": "name" },
      },
      {
        label: "reload master-cli",
        options: { reload: { method: "master-cli", socket: "/run/haproxy-master.sock" } },
        fields: { "reload.socket": "path" },
      },
    ],
    keys: { servers: "name", "servers.backend": "name", routes: "name" },
  }),
  ctor<NginxSwitchOptions>({
    name: "nginx",
    fields: {
      shell: "structure",
      colors: { "0": "name" },
      upstreams: "structure",
      includeFile: "path",
      mainConfig: "path",
      prefix: "path",
      statusListen: "address",
      state: { stateFile: "path", historyFile: "path", historyLimit: "number" },
      template: "structure",
      nginxBin: "program",
      curlBin: "program",
      settleMs: "number",
      confirmTimeoutMs: "number",
      commandTimeoutMs: "number",
      now: "structure",
    },
    options: {
      shell,
      colors: ["blue", "green"],
      upstreams: { backend: { blue: "10.0.0.1:8080", green: "10.0.0.2:8080" } },
      includeFile: "/etc/nginx/conf.d/backflip.conf",
      mainConfig: "/etc/nginx/nginx.conf",
      prefix: "/etc/nginx",
      statusListen: "127.0.0.1:8081",
      state,
      nginxBin: "nginx",
      curlBin: "curl",
    },
    create: createNginxSwitch,
    variants: [{ label: "upstreams", options: {}, fields: { "upstreams.backend.blue": "address" } }],
    keys: { upstreams: "name", "upstreams.backend": "name" },
  }),
  ctor<IncusHostOptions>({
    name: "incus",
    fields: {
      socketPath: "file",
      endpoint: "url",
      tls: { cert: "payload", key: "secret", serverCert: "payload", ca: "payload" },
      project: "name",
      timeoutS: "number",
      stopTimeoutS: "number",
      killGraceMs: "number",
      dispatcher: "structure",
    },
    options: { socketPath: "/var/lib/incus/unix.socket", project: "default" },
    create: createIncusHost,
  }),
  ctor<PgDatabaseOptions>({
    name: "postgres-pg",
    fields: {
      host: "address",
      port: "number",
      user: "name",
      password: "secret",
      database: "name",
      ssl: "structure",
      connectTimeoutMs: "number",
      migrationsTable: "name",
    },
    options: {
      host: "127.0.0.1",
      user: "veza",
      password: PASSWORD,
      database: "veza",
      migrationsTable: "schema_migrations",
    },
    create: createPgDatabase,
    variants: [
      {
        label: "ssl servername",
        options: { ssl: { servername: "db.example.org" } },
        fields: { "ssl.servername": "name" },
      },
      {
        label: "ssl caFile",
        options: { ssl: { caFile: "/etc/ssl/certs/ca-certificates.crt" } },
        fields: { "ssl.caFile": "path" },
      },
    ],
  }),
  ctor<PsqlDatabaseOptions>({
    name: "postgres-psql",
    fields: {
      shell: "structure",
      user: "name",
      database: "name",
      topology: "structure",
      host: "address",
      port: "number",
      psqlCommand: { "0": "payload" },
      timeoutMs: "number",
      migrationsTable: "name",
    },
    options: { shell, user: "veza", database: "veza", host: "127.0.0.1", psqlCommand: ["psql"] },
    create: createPsqlDatabase,
  }),
  ctor<ZfsSnapshotStoreOptions>({
    name: "zfs",
    fields: {
      shell: "structure",
      zfsCommand: { "0": "payload" },
      snapshotPrefix: "name",
      topology: "structure",
      timeoutMs: "number",
      now: "structure",
      name: "text",
    },
    options: { shell, zfsCommand: ["zfs"], snapshotPrefix: "pre-deploy-", name: "zfs" },
    create: createZfsSnapshotStore,
  }),
  ...(["registry", "pipeline"] as const).map((kind) =>
    ctor<ForgejoConfig>({
      name: `forgejo-${kind}`,
      fields: {
        baseUrl: "url",
        token: "secret",
        owner: "name",
        repo: "name",
        repoOwner: "name",
        topology: "structure",
        naming: { packagePattern: "name-pattern", filePattern: "name-pattern", retention: "number" },
        ca: "payload",
        retry: "structure",
        headersTimeoutMs: "number",
        bodyTimeoutMs: "number",
        dispatcher: "structure",
        returnRunInfo: "boolean",
        runLookupTimeoutMs: "number",
        runLookupPollMs: "number",
        clockSkewMs: "number",
        onEvent: "structure",
      },
      options: {
        baseUrl: "https://forgejo.example.org",
        token: TOKEN,
        owner: "talas",
        repo: "veza",
        repoOwner: "talas",
        naming: {
          packagePattern: "veza-{component}",
          filePattern: "veza-{component}-{sha}.tar.zst",
          retention: 30,
        },
      },
      create: kind === "registry" ? createForgejoRegistry : createForgejoPipeline,
    }),
  ),
  ctor<PrometheusOptions>({
    name: "prometheus",
    fields: { baseUrl: "url", auth: { bearer: "secret" }, ca: "payload", requestTimeoutMs: "number" },
    options: { baseUrl: "https://prometheus.example.org/prom", auth: { bearer: TOKEN } },
    create: (o) => PrometheusAlertSource.create(o),
    variants: [
      {
        label: "basic auth",
        options: { auth: { username: "veza", password: PASSWORD } },
        fields: { "auth.username": "text", "auth.password": "secret" },
      },
    ],
  }),
  ctor<SshShellOptions>({
    name: "ssh",
    fields: {
      host: "address",
      port: "number",
      username: "name",
      privateKey: "secret",
      privateKeyPath: "file",
      passphrase: "secret",
      agent: "file",
      hostKey: { fingerprint: "name" },
      name: "text",
      jump: "structure",
      keepaliveIntervalMs: "number",
      keepaliveCountMax: "number",
      connectTimeoutMs: "number",
      killGraceMs: "number",
      maxChannels: "number",
    },
    options: {
      host: "ops.example.org",
      username: "deploy",
      agent: "/run/ssh-agent.sock",
      passphrase: PASSWORD,
      hostKey: { fingerprint: `SHA256:${"A".repeat(43)}` },
      name: "ops",
    },
    create: createSshShell,
    variants: [
      {
        label: "known_hosts file",
        options: { hostKey: { knownHostsFile: "/etc/ssh/ssh_known_hosts" } },
        fields: { "hostKey.knownHostsFile": "file" },
      },
      {
        label: "known_hosts text",
        options: { hostKey: { knownHosts: "ops.example.org ssh-ed25519 AAAA" } },
        fields: { "hostKey.knownHosts": "payload" },
      },
      {
        label: "jump",
        options: {
          jump: {
            host: "bastion.example.org",
            username: "jump",
            agent: "/run/ssh-agent.sock",
            passphrase: PASSWORD,
            hostKey: { fingerprint: `SHA256:${"B".repeat(43)}` },
          },
        },
        fields: {
          "jump.host": "address",
          "jump.username": "name",
          "jump.privateKey": "secret",
          "jump.privateKeyPath": "file",
          "jump.passphrase": "secret",
          "jump.agent": "file",
          "jump.hostKey.fingerprint": "name",
        },
      },
    ],
  }),
  ctor<FleetOptions>({
    name: "mock",
    fields: {
      topology: "structure",
      proxy: { container: "name", configPath: "path" },
      scenario: "structure",
      now: "structure",
      realPollCapMs: "number",
      clock: "enum",
      probeFallback: "structure",
    },
    options: { proxy: { container: "veza-staging-haproxy", configPath: "/etc/haproxy/haproxy.cfg" } },
    create: tryCreateFleet,
  }),
];

const valueAt = (obj: unknown, path: string) =>
  path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], obj);

describe.each(CTORS)("$name constructor: every option refuses a hostile value or keeps it inert", (c) => {
  it_listsFields(c);
  for (const field of fuzzed(flattenFields(c.fields)))
    itFor(OPEN, `${c.name}.${field.path}`)(`${field.path} (${field.spec})`, () =>
      fuzzField(c, field, c.options, (v) => withField(c.options, field.path, v)),
    );
  for (const v of c.variants ?? []) {
    const options = { ...c.options, ...v.options };
    itFor({}, "")(`${v.label}: constructs`, async () => {
      const made = await c.create(options);
      expect(made.isOk() ? "ok" : made.error.message).toBe("ok");
    });
    for (const field of fuzzed(flattenFields(v.fields)))
      itFor(OPEN, `${c.name}.${field.path}`)(`${v.label}: ${field.path} (${field.spec})`, () =>
        fuzzField(c, field, options, (value) => withField(options, field.path, value)),
      );
  }
  for (const [path, kind] of Object.entries(c.keys ?? {})) {
    const field: Field = { path: `${path}.<key>`, spec: kind };
    itFor(OPEN, `${c.name}.${field.path}`)(`${field.path} (${kind})`, () => {
      const key = Object.keys(valueAt(c.options, path) as object)[0] as string;
      return fuzzField(c, field, { [field.path]: key }, (value) => renamed(c.options, key, value));
    });
  }
});

/** Fuzzes one string position: `make` puts a hostile value there; `sampleFrom` holds its valid value at `field.path`. */
async function fuzzField(
  c: Ctor<Record<string, unknown>>,
  field: Field,
  sampleFrom: unknown,
  make: (value: string) => Record<string, unknown>,
) {
  const sample = String(
    (sampleFrom as Record<string, unknown>)[field.path] ?? valueAt(sampleFrom, field.path) ?? "x",
  );
  await fc.assert(
    fc.asyncProperty(hostileFor(sample, box), async (value) => {
      const made = await c.create(make(value));
      if (made.isErr()) {
        const said = `${made.error.message} ${made.error.hint ?? ""}`;
        expect(said, "a refusal quotes a secret").not.toContain(TOKEN);
        expect(said, "a refusal quotes a secret").not.toContain(PASSWORD);
        if (field.spec === "secret" && value.length >= 8) expect(said).not.toContain(value);
      }
      expectInert(box, field, value, {
        refused: made.isErr() && made.error.reason === "invalid_input",
        detail: made.isErr() ? `${made.error.reason}: ${made.error.message}` : "constructed",
      });
    }),
    propertyParams(RUNS, hostileExamples(box)),
  );
}

/**
 * A copy of `options` with the name `from` renamed to `to` wherever it is used: as a record
 * key and as a string (a component in `components`, `defaultComponent`), so the
 * cross-checks between them still hold and the key itself is what is judged.
 */
function renamed(options: unknown, from: string, to: string): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (v === from) return to;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k === from ? to : k, walk(x)]));
    return v;
  };
  return walk(options) as Record<string, unknown>;
}

/** The base options construct (so a refusal is the hostile value's doing). */
function it_listsFields(c: Ctor<Record<string, unknown>>) {
  itFor({}, "")("constructs with the valid base options", async () => {
    const made = await c.create(c.options);
    expect(made.isOk() ? "ok" : made.error.message).toBe("ok");
  });
}
