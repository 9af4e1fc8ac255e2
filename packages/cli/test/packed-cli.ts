import { execFile } from "node:child_process";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const run = promisify(execFile);

/** The `backflip` of a packed `@backflip/cli` installed globally into a fresh prefix, as an operator would. */
export interface PackedCli {
  /** `<prefix>/bin/backflip`. */
  readonly bin: string;
  /** The temp folder holding the tarball and the prefix. */
  readonly dir: string;
  /** The packed tarball, in `dir`. */
  readonly tarball: string;
}

/**
 * Packs `@backflip/cli` (its `prepack` builds the bundle) with the pinned pnpm, then
 * `npm i -g --prefix <tmp>` of the tarball: no workspace; its one dependency (jiti, which
 * loads a `backflip.config.ts`) comes from the registry, everything else is in the bundle.
 */
export async function installPackedCli(): Promise<PackedCli> {
  const dir = await mkdtemp(join(tmpdir(), "backflip-packed-"));
  await run("npx", ["-y", "pnpm@12.4.2", "--filter", "@backflip/cli", "pack", "--pack-destination", dir], {
    cwd: ROOT,
  });
  const tgz = (await readdir(dir)).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error(`no tarball in ${dir}`);
  const tarball = join(dir, tgz);
  const prefix = join(dir, "prefix");
  await run("npm", ["i", "-g", "--no-audit", "--no-fund", "--prefix", prefix, tarball], { cwd: dir });
  return { bin: join(prefix, "bin", "backflip"), dir, tarball };
}

/**
 * Installs the packed tarball into `project` (a folder with a package.json) with `npm i`,
 * as a project that embeds the CLI, or type-checks its `backflip.config.ts`, would.
 */
export async function installPackedCliInto(cli: PackedCli, project: string): Promise<void> {
  await run("npm", ["i", "--no-audit", "--no-fund", cli.tarball], { cwd: project });
}

/** What one `backflip` process answered: its exit code and output. */
export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the installed `backflip` in `cwd` with `env` added to this process's environment
 * (`BACKFLIP_ACTOR=tester` unless `env` names another); a non-zero exit is an answer, not a throw.
 */
export async function runInstalled(
  cli: PackedCli,
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(cli.bin, [...args], {
      cwd,
      env: { ...process.env, BACKFLIP_ACTOR: "tester", ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (cause) {
    const e = cause as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
