import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalShell, type Shell } from "@backflip/core";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haproxyReady, type Lab, type LabPaths, startLab } from "./support/lab";

// Ports: frontend 18440; HTTP servers 18441-18442.
const NOBODY = "65534:65534";
const canChroot = process.getuid?.() === 0 && existsSync("/usr/sbin/chroot");
const skip = skipUnlessBackend(
  haproxyReady && canChroot,
  "haproxy (run as root, for a chroot)",
  "scripts/backends up haproxy, as root",
);

/**
 * A Shell into a busybox-like root: its own `/etc`, `/var`, `/run` and `/tmp`, the host's
 * `/usr` read-only, no bash, every command run as `nobody` via `chroot --userspec`. The
 * driver's paths are the runbook's own (`/etc/haproxy/haproxy.cfg`,
 * `/var/lib/veza/active-color`), which on this host live under the chroot.
 */
function chrootShell(root: string): Shell {
  const local = new LocalShell();
  return {
    name: `chroot:nobody@${root}`,
    run: (argv, options) => local.run(["chroot", `--userspec=${NOBODY}`, root, ...argv], options),
  };
}

describe.skipIf(skip)("the same driver through a Shell in another root, as another user", () => {
  let root: string;
  let lab: Lab;
  const hostConfig = "/etc/haproxy/haproxy.cfg";
  const hostConfigBefore = existsSync(hostConfig) ? readFileSync(hostConfig) : null;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "backflip-haproxy-chroot-"));
    await chmod(root, 0o755);
    for (const dir of ["usr", "dev", "tmp", "etc/haproxy", "var/lib/veza", "run/haproxy"]) {
      await mkdir(join(root, dir), { recursive: true });
    }
    for (const dir of ["etc/haproxy", "var/lib/veza", "run/haproxy"])
      await chown(join(root, dir), 65534, 65534);
    await chmod(join(root, "tmp"), 0o1777);
    for (const link of ["bin", "sbin", "lib", "lib64"]) {
      if (existsSync(`/usr/${link}`)) await symlink(`usr/${link}`, join(root, link));
    }
    execFileSync("mknod", ["-m", "666", join(root, "dev/null"), "c", "1", "3"]);
    execFileSync("mount", ["--bind", "/usr", join(root, "usr")]);
    execFileSync("mount", ["-o", "remount,ro,bind", join(root, "usr")]);
    const paths: LabPaths = {
      hostRoot: root,
      configPath: "/etc/haproxy/haproxy.cfg",
      stateFile: "/var/lib/veza/active-color",
      historyFile: "/var/lib/veza/active-color.history",
      statsSocket: "/run/haproxy/admin.sock",
      masterSocket: "/run/haproxy/master.sock",
      pidFile: "/run/haproxy/haproxy.pid",
      mapFile: "/etc/haproxy/color.map",
    };
    lab = await startLab({
      port: 18440,
      serverPorts: { blue: 18441, green: 18442 },
      httpServers: true,
      shell: chrootShell(root),
      paths,
      launchPrefix: ["chroot", `--userspec=${NOBODY}`, root],
      reload: (p) => ({ method: "master-cli", socket: p.masterSocket }),
    });
  });

  afterAll(async () => {
    await lab?.stop();
    if (root) {
      execFileSync("umount", [join(root, "usr")]);
      await rm(root, { recursive: true, force: true });
    }
  });

  it("flips, confirms through socat in the root, records, and undoes — files land under the root, owned by nobody", async () => {
    expect(await lab.get()).toBe("200 blue");
    const bootstrap = await lab.read("/etc/haproxy/haproxy.cfg");
    const prior = (await lab.sw.readState())._unsafeUnwrap();
    expect(prior.activeColor).toBe("blue");

    const req = { color: "green", runId: "run-chroot", actor: "nobody-test" };
    const config = (await lab.sw.render(req))._unsafeUnwrap();
    (await lab.sw.validate(config))._unsafeUnwrap();
    (await lab.sw.install(config))._unsafeUnwrap();
    (await lab.sw.reload())._unsafeUnwrap();
    (await lab.sw.confirm(config.revision))._unsafeUnwrap();
    (await lab.sw.record(req))._unsafeUnwrap();

    expect(await lab.get()).toBe("200 green");
    expect(await lab.read("/etc/haproxy/haproxy.cfg")).toBe(config.content);
    expect(await lab.read("/etc/haproxy/haproxy.cfg.prev")).toBe(bootstrap);
    expect(await lab.read("/var/lib/veza/active-color")).toBe("green\n");
    expect((await lab.read("/var/lib/veza/active-color.history")).split("\n")[0]).toMatch(
      / green - run-chroot nobody-test$/,
    );
    for (const file of [
      "etc/haproxy/haproxy.cfg",
      "var/lib/veza/active-color",
      "var/lib/veza/active-color.history",
    ]) {
      expect((await stat(join(root, file))).uid).toBe(65534);
    }
    expect((await readdir(join(root, "etc/haproxy"))).sort()).toEqual(["haproxy.cfg", "haproxy.cfg.prev"]);
    // The host's own files were never touched.
    if (hostConfigBefore !== null) expect(readFileSync(hostConfig).equals(hostConfigBefore)).toBe(true);

    (await lab.sw.writeState(prior))._unsafeUnwrap();
    const { revision } = (await lab.sw.restorePrevious())._unsafeUnwrap();
    (await lab.sw.reload())._unsafeUnwrap();
    (await lab.sw.confirm(revision as string))._unsafeUnwrap();
    expect(await lab.get()).toBe("200 blue");
    expect(await lab.read("/var/lib/veza/active-color")).toBe("blue\n");
  });

  it("a state file the user may not read is unauthorized, and nothing is changed", async () => {
    const live = await lab.read("/etc/haproxy/haproxy.cfg");
    await chown(join(root, "var/lib/veza/active-color"), 0, 0);
    await chmod(join(root, "var/lib/veza/active-color"), 0o600);
    try {
      const error = (await lab.sw.readState())._unsafeUnwrapErr();
      expect(error).toMatchObject({ reason: "unauthorized", op: "readState" });
      expect(error.message).toContain("/var/lib/veza/active-color");
    } finally {
      await chmod(join(root, "var/lib/veza/active-color"), 0o644);
    }
    expect(await lab.read("/etc/haproxy/haproxy.cfg")).toBe(live);
  });
});
