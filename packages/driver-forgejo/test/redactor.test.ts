import { describe, expect, it } from "vitest";
import { Redactor } from "../src/redactor";

const TOKEN = "c4n4ry-t0ken-5e9b21a7";
const redactor = new Redactor([TOKEN]);
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("Redactor (issue 17 finding 8)", () => {
  it("hides the token echoed in any letter case", () => {
    for (const echoed of [TOKEN, TOKEN.toUpperCase(), "C4N4RY-T0KEN-5e9b21a7"]) {
      const out = redactor.text(`the server said: bad token ${echoed}!`);
      expect(out).toBe("the server said: bad token [redacted]!");
    }
  });

  it("hides the token inside base64(user:token), whatever the user, also URL-safe and mid-run", () => {
    for (const user of ["ops", "a", "deploy-bot", ""]) {
      const basic = b64(`${user}:${TOKEN}`);
      const out = redactor.text(`echo: Basic:${basic} (from the proxy)`);
      expect(out, user).not.toContain(basic);
      expect(out).toContain("(from the proxy)");
      const urlSafe = Buffer.from(`${user}:${TOKEN}`).toString("base64url");
      expect(redactor.text(`x ${urlSafe} y`)).not.toContain(urlSafe);
      expect(redactor.text(`x${basic} y`)).not.toContain(basic.slice(4));
    }
  });

  it("leaves other base64 and hex alone", () => {
    const other = `${b64("ops:something-else")} ${"ab12".repeat(16)}`;
    expect(redactor.text(other)).toBe(other);
  });
});
