import { LocalShell } from "@backflip/core";
import { describe, expect, it } from "vitest";
import { PidMarker } from "../src/pid-marker";
import { remoteCommand } from "../src/remote-command";

const local = new LocalShell();

describe("the remote command line", () => {
  it("gives the argv back exactly when a POSIX shell runs it, and reports its pid", async () => {
    const argv = [
      "printf",
      "[%s]",
      "a b",
      "'q'",
      "$HOME",
      "`id`",
      "x;y",
      "*",
      "",
      "-n",
      "line\nbreak",
      "ünï",
    ];
    const line = remoteCommand(argv, {})._unsafeUnwrap();
    const r = (await local.run(["sh", "-c", line]))._unsafeUnwrap();
    expect(r.stdout).toBe(
      argv
        .slice(2)
        .map((a) => `[${a}]`)
        .join(""),
    );
    const marker = new PidMarker();
    expect(marker.push(Buffer.from(r.stderr)).length + marker.flush().length).toBe(0);
    expect(marker.pid).toBeGreaterThan(1);
  });

  it("quotes cwd and env values, and refuses env names a shell cannot set", async () => {
    const line = remoteCommand(["sh", "-c", 'pwd; printf %s "$V"'], {
      cwd: "/",
      env: { V: "$(id) 'x'" },
    })._unsafeUnwrap();
    expect((await local.run(["sh", "-c", line]))._unsafeUnwrap().stdout).toBe("/\n$(id) 'x'");
    expect(remoteCommand(["true"], { env: { "A;B": "x" } })._unsafeUnwrapErr().reason).toBe("invalid_input");
  });
});

describe("PidMarker", () => {
  it("keeps login noise, drops the marker line, passes the rest through, across chunks", () => {
    const marker = new PidMarker();
    const out = [
      marker.push(Buffer.from("motd noise\n\x1ebackf")),
      marker.push(Buffer.from("lip-pid:4242\nreal stderr")),
      marker.push(Buffer.from(" more")),
    ];
    expect(Buffer.concat(out).toString()).toBe("motd noise\nreal stderr more");
    expect(marker.pid).toBe(4242);
  });

  it("gives held bytes back when no marker ever comes", () => {
    const marker = new PidMarker();
    expect(marker.push(Buffer.from("no marker here")).length).toBe(0);
    expect(marker.flush().toString()).toBe("no marker here");
    expect(marker.pid).toBeUndefined();
  });

  it("refuses a pid that would signal more than the command (0, 1, -1, beyond pid_max, leading zeros)", () => {
    for (const digits of ["1", "0", "-1", "01", "4194305", "99999999999999999999", "1e3"]) {
      const marker = new PidMarker();
      expect(marker.push(Buffer.from(`\x1ebackflip-pid:${digits}\nrest`)).toString()).toBe("rest");
      expect(marker.pid, digits).toBeUndefined();
    }
    const marker = new PidMarker();
    marker.push(Buffer.from("\x1ebackflip-pid:2\n"));
    expect(marker.pid).toBe(2);
  });
});
