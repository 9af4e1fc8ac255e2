import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";
import {
  type Action,
  type ArtifactInfo,
  type ArtifactOperation,
  type ArtifactRef,
  type ArtifactRegistry,
  type ArtifactSource,
  type ArtifactVersion,
  artifactFileName,
  type DriverError,
  packageName,
} from "@backflip/core";
import { invalidInput, lazySchema, parseInput, shaSchema, simpleNameSchema } from "@backflip/core/driver-kit";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { sha256Hex } from "../world/seed-world";
import type { ArtifactState, WorldState } from "../world/world-state";
import { MOCK_FORGEJO_URL } from "./mock-forgejo-url";
import { type FleetRuntime, opError, operation } from "./operation";

const DRIVER = "mock-registry";
const refSchema = lazySchema(() => z.object({ component: simpleNameSchema, sha: shaSchema }));
const destSchema = lazySchema(() =>
  z
    .string()
    .refine((p) => isAbsolute(p), "expected an absolute path")
    .refine((p) => !p.includes("\0"), "path contains a NUL byte"),
);

/**
 * The simulated package registry: artifacts per component and SHA with their bytes and
 * sha256. Uploads are immutable (identical bytes succeed, different bytes `conflict`),
 * and the keep-N retention rule purges a package's oldest versions on upload. Downloads
 * write a real local file (temp + rename) after verifying the checksum.
 */
export class MockArtifactRegistry implements ArtifactRegistry {
  readonly name = DRIVER;

  constructor(
    readonly world: WorldState,
    readonly runtime: FleetRuntime,
  ) {}

  #info(a: ArtifactState): ArtifactInfo {
    return {
      component: a.component,
      sha: a.sha,
      package: packageName(this.world.layout.registry, a.component),
      version: a.sha,
      file: artifactFileName(this.world.layout.registry, a.component, a.sha),
      size: a.bytes.length,
      sha256: a.sha256,
    };
  }

  /** The generic-package request a call makes: HEAD to look up, PUT to upload, GET to download. */
  describe(operation: ArtifactOperation): readonly Action[] {
    const { registry } = this.world.layout;
    const { component, sha } = operation.ref;
    const url = `${MOCK_FORGEJO_URL}/api/packages/${registry.owner}/generic/${packageName(registry, component)}/${sha}/${artifactFileName(registry, component, sha)}`;
    const method = { stat: "HEAD", upload: "PUT", download: "GET" }[operation.op];
    return [{ kind: "http", method, url }];
  }

  #find(ref: ArtifactRef): ArtifactState | undefined {
    return this.world.artifacts.get(ref.component)?.find((a) => a.sha === ref.sha);
  }

  #ref(op: "stat" | "upload" | "download" | "delete", ref: ArtifactRef): Result<ArtifactRef, DriverError> {
    return parseInput(refSchema, ref, { driver: DRIVER, op });
  }

  stat(ref: ArtifactRef): ResultAsync<ArtifactInfo | null, DriverError> {
    return operation(
      this.runtime,
      { op: "registry.stat", target: (r: ArtifactRef) => r.component },
      () => this.#ref("stat", ref),
      (r) => {
        const found = this.#find(r);
        return ok(found ? this.#info(found) : null);
      },
    );
  }

  upload(ref: ArtifactRef, source: ArtifactSource): ResultAsync<ArtifactInfo, DriverError> {
    return operation(
      this.runtime,
      { op: "registry.upload", target: (r: ArtifactRef) => r.component },
      () =>
        this.#ref("upload", ref).andThen((r) => {
          const okSource =
            typeof source === "object" &&
            source !== null &&
            (("path" in source && typeof source.path === "string" && source.path !== "") ||
              ("stream" in source && typeof source.stream?.[Symbol.asyncIterator] === "function"));
          return okSource
            ? ok(r)
            : err(invalidInput(DRIVER, "upload", "source: expected { path } or { stream }"));
        }),
      async (r) => {
        const bytes = await readSource(source);
        if (bytes.isErr()) return err(bytes.error);
        const digest = sha256Hex(bytes.value);
        const existing = this.#find(r);
        if (existing) {
          return existing.sha256 === digest
            ? ok(this.#info(existing))
            : err(
                opError(
                  "registry.upload",
                  "conflict",
                  `${this.#info(existing).file} already exists with different content`,
                  {
                    hint: "artifacts are immutable: delete the version first if it must be replaced",
                  },
                ),
              );
        }
        const artifact: ArtifactState = {
          component: r.component,
          sha: r.sha,
          bytes: bytes.value,
          sha256: digest,
          createdAt: this.runtime.clock.now(),
          seq: this.world.artifactSeq++,
        };
        const list = [...(this.world.artifacts.get(r.component) ?? []), artifact];
        list.sort((a, b) => a.seq - b.seq);
        this.world.artifacts.set(r.component, list.slice(Math.max(0, list.length - this.world.retention)));
        return ok(this.#info(artifact));
      },
    );
  }

  download(ref: ArtifactRef, destPath: string): ResultAsync<ArtifactInfo, DriverError> {
    return operation(
      this.runtime,
      { op: "registry.download", target: (v: { ref: ArtifactRef }) => v.ref.component },
      () =>
        this.#ref("download", ref).andThen((r) =>
          parseInput(destSchema, destPath, { driver: DRIVER, op: "download" }).map((dest) => ({
            ref: r,
            dest,
          })),
        ),
      async ({ ref: r, dest }) => {
        const found = this.#find(r);
        if (!found) {
          return err(
            opError(
              "registry.download",
              "not_found",
              `${artifactFileName(this.world.layout.registry, r.component, r.sha)} is not in the registry`,
              {
                hint: "the artifact was purged: rebuild and push it (Path 3), then redeploy",
              },
            ),
          );
        }
        const bytes = new Uint8Array(found.bytes);
        if (sha256Hex(bytes) !== found.sha256) {
          return err(
            opError(
              "registry.download",
              "failed",
              `checksum mismatch for ${this.#info(found).file}: nothing was kept`,
              {
                details: { expected: found.sha256 },
              },
            ),
          );
        }
        const temp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString("hex")}.part`);
        try {
          await writeFile(temp, bytes);
          await rename(temp, dest);
        } catch (cause) {
          await rm(temp, { force: true });
          return err(opError("registry.download", "failed", `could not write ${dest}`, { cause }));
        }
        return ok(this.#info(found));
      },
    );
  }

  listVersions(component: string): ResultAsync<ArtifactVersion[], DriverError> {
    return operation(
      this.runtime,
      { op: "registry.listVersions", target: (c: string) => c },
      () => parseInput(simpleNameSchema, component, { driver: DRIVER, op: "listVersions" }),
      (c) =>
        ok(
          [...(this.world.artifacts.get(c) ?? [])]
            .sort((a, b) => b.seq - a.seq)
            .map((a) => ({ version: a.sha, createdAt: a.createdAt.toISOString() })),
        ),
    );
  }

  delete(ref: ArtifactRef): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "registry.delete", target: (r: ArtifactRef) => r.component },
      () => this.#ref("delete", ref),
      (r) => {
        const list = this.world.artifacts.get(r.component) ?? [];
        const index = list.findIndex((a) => a.sha === r.sha);
        if (index < 0)
          return err(
            opError("registry.delete", "not_found", `${r.component}@${r.sha} is not in the registry`),
          );
        list.splice(index, 1);
        return ok(undefined);
      },
    );
  }
}

async function readSource(source: ArtifactSource): Promise<Result<Uint8Array, DriverError>> {
  if ("path" in source) {
    try {
      return ok(new Uint8Array(await readFile(source.path)));
    } catch (cause) {
      const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
      return err(
        opError("registry.upload", missing ? "not_found" : "failed", `could not read ${source.path}`, {
          cause,
        }),
      );
    }
  }
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of source.stream) chunks.push(chunk);
  } catch (cause) {
    return err(opError("registry.upload", "failed", "the upload stream failed", { cause }));
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  if (source.size !== undefined && source.size !== total) {
    return err(
      opError(
        "registry.upload",
        "invalid_input",
        `the stream gave ${total} bytes, not the declared ${source.size}`,
      ),
    );
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return ok(bytes);
}
