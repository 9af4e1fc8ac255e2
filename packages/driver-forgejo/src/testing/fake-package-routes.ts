import type { IncomingMessage } from "node:http";
import {
  caller,
  echo,
  type FakeCaller,
  type FakeContext,
  hasScope,
  isoSeconds,
  signedUrl,
} from "./fake-context";
import { fakeNameRules } from "./fake-names";
import type { FakeStoredFile, FakeStoredVersion } from "./fake-package-store";
import { drain, type FakeReply, jsonReply, textReply } from "./fake-reply";

const WWW_AUTHENTICATE = { "www-authenticate": 'Basic realm="Gitea Package API"' };

/** `reqPackageAccess`: 401 with `WWW-Authenticate` for a missing scope or write access. */
function packageAccess(
  ctx: FakeContext,
  req: IncomingMessage,
  who: FakeCaller,
  owner: string,
  write: boolean,
) {
  if (who.kind === "anonymous" && !write && ctx.settings.allowAnonymousRead) return undefined;
  const scope = write ? "write:package" : "read:package";
  const writeOk =
    who.kind === "token" && (!write || !who.token.writeOwners || who.token.writeOwners.includes(owner));
  if (hasScope(who, scope) && writeOk) return undefined;
  return textReply(
    401,
    `user should have specific permission or be a site admin${echo(ctx, req)}`,
    WWW_AUTHENTICATE,
  );
}

/** `/api/packages/{owner}/generic/{name}/{version}[/{file}]`: upload, download, delete. */
export async function packageRoute(
  ctx: FakeContext,
  req: IncomingMessage,
  url: URL,
  segs: readonly string[],
): Promise<FakeReply> {
  const method = req.method ?? "GET";
  const [owner = "", type, name = "", version = "", file, ...rest] = segs;
  if (type !== "generic" || rest.length > 0 || segs.length < 4) {
    await drain(req);
    return textReply(404, "404 page not found");
  }
  const who = caller(ctx, req, url);
  if (who.kind === "invalid") {
    // verifyAuth: an invalid token is refused before reqPackageAccess, without WWW-Authenticate.
    await drain(req);
    return textReply(401, `invalid credentials${echo(ctx, req)}`);
  }
  if (!ctx.settings.owners.includes(owner)) {
    await drain(req);
    return textReply(404, "user does not exist");
  }
  if (file === undefined) {
    if (method !== "DELETE") return textReply(405, "method not allowed");
    const denied = packageAccess(ctx, req, who, owner, true);
    if (denied) return denied;
    return (await ctx.store.deleteVersion(owner, name, version))
      ? { status: 204 }
      : textReply(404, "package does not exist");
  }
  if (method === "PUT") return upload(ctx, req, who, owner, name, version, file);
  if (method === "HEAD" && ctx.settings.profile.head) {
    const denied = packageAccess(ctx, req, who, owner, false);
    if (denied) return denied;
    return ctx.store.file(owner, name, version, file) ? { status: 200 } : { status: 404 };
  }
  if (method === "GET") {
    const denied = packageAccess(ctx, req, who, owner, false);
    if (denied) return denied;
    const stored = ctx.store.file(owner, name, version, file);
    if (!stored) return textReply(404, "package does not exist");
    if (ctx.settings.redirectDownloads) {
      return { status: ctx.settings.redirectStatus, headers: { location: signedUrl(ctx, stored) } };
    }
    return fileReply(stored);
  }
  if (method === "DELETE") {
    const denied = packageAccess(ctx, req, who, owner, true);
    if (denied) return denied;
    return (await ctx.store.deleteFile(owner, name, version, file))
      ? { status: 204 }
      : textReply(404, "package file does not exist");
  }
  await drain(req);
  return textReply(405, "method not allowed");
}

/** A stored file as `ServeContent` sends it. */
export function fileReply(stored: FakeStoredFile): FakeReply {
  return {
    status: 200,
    headers: {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${stored.name}"`,
      "last-modified": new Date(stored.createdMs).toUTCString(),
    },
    body: { path: stored.blobPath, size: stored.size },
  };
}

async function upload(
  ctx: FakeContext,
  req: IncomingMessage,
  who: FakeCaller,
  owner: string,
  name: string,
  version: string,
  file: string,
): Promise<FakeReply> {
  const denied = packageAccess(ctx, req, who, owner, true);
  if (denied) {
    await drain(req);
    return denied;
  }
  const { quotaBytes, quotaStatus } = ctx.settings;
  const full = quotaBytes !== undefined && ctx.store.usage(owner) >= quotaBytes;
  // enforcePackagesQuota (Forgejo ≥ 9) runs before the handler validates names.
  if (full && quotaStatus === 413) {
    await drain(req);
    return textReply(413, `quota exceeded${echo(ctx, req)}`);
  }
  const invalid = !fakeNameRules.packageName(name)
    ? "package name is invalid"
    : !fakeNameRules.version(version)
      ? "package version is invalid"
      : !fakeNameRules.fileName(file)
        ? "package filename is invalid"
        : undefined;
  if (invalid) {
    await drain(req);
    return textReply(400, `${invalid}${echo(ctx, req)}`);
  }
  // services/packages: the owner's limits, with their texts, after the names.
  const { limits } = ctx.settings;
  const refused = (text: string) => textReply(403, `${text}${echo(ctx, req)}`);
  if (
    limits.count !== undefined &&
    !ctx.store.hasPackage(owner, name) &&
    ctx.store.packageCount(owner) >= limits.count
  ) {
    await drain(req);
    return refused("maximum allowed package count exceeded");
  }
  if (full) {
    await drain(req);
    return refused("maximum allowed package storage quota exceeded");
  }
  const put = await ctx.store.put(owner, name, version, file, req);
  if (put.kind === "duplicate") {
    return textReply(ctx.settings.duplicateStatus, `package file already exists${echo(ctx, req)}`);
  }
  if (limits.typeSizeBytes !== undefined && put.file.size > limits.typeSizeBytes) {
    await ctx.store.deleteFile(owner, name, version, file);
    return refused("maximum allowed package type size exceeded");
  }
  return { status: 201 };
}

const user = (login: string) => ({ id: login.length, login, login_name: "", full_name: "", username: login });

function packageJson(ctx: FakeContext, v: FakeStoredVersion) {
  return {
    id: v.id,
    owner: user(v.owner),
    repository: null,
    creator: user(v.owner),
    type: "generic",
    name: v.name,
    version: v.version,
    html_url: `${ctx.baseUrl}/${v.owner}/-/packages/generic/${encodeURIComponent(v.name)}/${encodeURIComponent(v.version)}`,
    created_at: isoSeconds(v.createdSec * 1000),
  };
}

/** `/api/v1/packages/{owner}[/{type}/{name}/{version}[/files]]`: listing, one version, files. */
export async function packageApiRoute(
  ctx: FakeContext,
  req: IncomingMessage,
  url: URL,
  segs: readonly string[],
): Promise<FakeReply> {
  const method = req.method ?? "GET";
  const who = caller(ctx, req, url);
  if (who.kind === "invalid") return jsonReply(401, { message: `invalid token${echo(ctx, req)}` });
  const [owner = "", type, name = "", version = "", files, ...rest] = segs;
  if (!ctx.settings.owners.includes(owner))
    return jsonReply(404, { message: "user does not exist", url: ctx.baseUrl });
  const write = method === "DELETE";
  if (
    !hasScope(who, write ? "write:package" : "read:package") &&
    !(who.kind === "anonymous" && !write && ctx.settings.allowAnonymousRead)
  ) {
    return who.kind === "anonymous"
      ? jsonReply(401, { message: "token is required" })
      : jsonReply(403, {
          message: `token does not have at least one of required scope(s): [${write ? "write" : "read"}:package]`,
        });
  }
  if (type === undefined && method === "GET") return listPackages(ctx, url, owner);
  if (type !== "generic" || rest.length > 0 || segs.length < 4)
    return jsonReply(404, { message: "not found" });
  const v = ctx.store.version(owner, name, version);
  if (!v) return jsonReply(404, { message: "package does not exist", url: ctx.baseUrl });
  if (files === "files" && method === "GET") {
    return jsonReply(
      200,
      [...v.files.values()].map((f) => ({
        id: f.id,
        [ctx.settings.sizeKey]: f.size,
        name: f.name,
        md5: f.digests.md5 ?? "",
        sha1: f.digests.sha1 ?? "",
        sha256: f.digests.sha256 ?? "",
        sha512: f.digests.sha512 ?? "",
      })),
    );
  }
  if (files !== undefined) return jsonReply(404, { message: "not found" });
  if (method === "GET") return jsonReply(200, packageJson(ctx, v));
  if (method === "DELETE") {
    await ctx.store.deleteVersion(owner, name, version);
    return { status: 204 };
  }
  return jsonReply(405, { message: "method not allowed" });
}

function listPackages(ctx: FakeContext, url: URL, owner: string): FakeReply {
  const type = url.searchParams.get("type") ?? "";
  const q = url.searchParams.get("q") ?? "";
  const page = Math.max(1, Number.parseInt(url.searchParams.get("page") ?? "1", 10) || 1);
  const asked = Number.parseInt(url.searchParams.get("limit") ?? "0", 10) || 0;
  const limit = asked <= 0 ? ctx.settings.defaultPageSize : Math.min(asked, ctx.settings.maxPageSize);
  const all = type === "" || type === "generic" ? ctx.store.list(owner, q) : [];
  const pageItems = all.slice((page - 1) * limit, page * limit);
  const lastPage = Math.max(1, Math.ceil(all.length / limit));
  const link = (p: number) => {
    const u = new URL(`${ctx.baseUrl}/api/v1/packages/${encodeURIComponent(owner)}`);
    u.searchParams.set("limit", String(limit));
    u.searchParams.set("page", String(p));
    if (q) u.searchParams.set("q", q);
    if (type) u.searchParams.set("type", type);
    return `<${u.toString()}>`;
  };
  const links: string[] = [];
  if (page < lastPage) links.push(`${link(page + 1)}; rel="next"`, `${link(lastPage)}; rel="last"`);
  if (page > 1) links.push(`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`);
  return jsonReply(
    200,
    pageItems.map((v) => packageJson(ctx, v)),
    {
      "x-total-count": String(all.length),
      "access-control-expose-headers": "X-Total-Count, Link",
      ...(links.length ? { link: links.join(",") } : {}),
    },
  );
}
