import { lazySchema } from "@backflip/core/driver-kit";
import * as z from "zod";

/** One entry of `GET /api/v1/packages/{owner}`: Forgejo lists one entry per version. */
export interface PackageEntry {
  readonly id: number;
  readonly type: string;
  readonly name: string;
  readonly version: string;
  /** ISO-8601. */
  readonly createdAt: string;
}

/** One file of a version (`…/{version}/files`). */
export interface PackageFileEntry {
  readonly name: string;
  readonly size: number;
  readonly sha256: string | undefined;
}

const entrySchema = lazySchema(() =>
  z.object({
    id: z.number(),
    type: z.string(),
    name: z.string(),
    version: z.string(),
    created_at: z.string(),
  }),
);

// Current Gitea/Forgejo emit `size`; older Gitea left the field untagged, so `Size`.
const fileSchema = lazySchema(() =>
  z
    .object({
      name: z.string(),
      size: z.number().int().min(0).optional(),
      Size: z.number().int().min(0).optional(),
      sha256: z.string().optional(),
    })
    .refine((f) => f.size !== undefined || f.Size !== undefined, "size or Size is required"),
);

/** Parses the package listing; `null` when it is not the documented shape. */
export function parsePackageList(data: unknown): PackageEntry[] | null {
  const parsed = z.array(entrySchema).safeParse(data);
  if (!parsed.success) return null;
  return parsed.data.map((e) => ({
    id: e.id,
    type: e.type,
    name: e.name,
    version: e.version,
    createdAt: e.created_at,
  }));
}

/** Parses a version's file listing, accepting `size` and `Size`; `null` when malformed. */
export function parsePackageFiles(data: unknown): PackageFileEntry[] | null {
  const parsed = z.array(fileSchema).safeParse(data);
  if (!parsed.success) return null;
  return parsed.data.map((f) => ({
    name: f.name,
    size: (f.size ?? f.Size) as number,
    sha256: f.sha256 ? f.sha256.toLowerCase() : undefined,
  }));
}

/**
 * The next page to fetch: the `page` of `Link: <…>; rel="next"` when present, else the
 * following page while `X-Total-Count` says more exist; `null` when done.
 */
export function nextPage(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  page: number,
  received: number,
): number | null {
  if (received === 0) return null;
  const link = [headers.link ?? []].flat().join(",");
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (!match?.[1]) continue;
    const next = Number(new URL(match[1], "http://link.invalid").searchParams.get("page"));
    return Number.isInteger(next) && next > page ? next : null;
  }
  if (link) return null;
  const total = Number([headers["x-total-count"] ?? []].flat()[0]);
  return Number.isFinite(total) && page * received < total ? page + 1 : null;
}
