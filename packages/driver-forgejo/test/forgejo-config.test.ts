import { vezaTopology } from "@backflip/core/recipes";
import { describe, expect, it } from "vitest";
import { resolveForgejoConfig } from "../src/forgejo-config";

const TOKEN = "CANARY-tok-8d1e5a0c";
const resolve = (baseUrl: string) =>
  resolveForgejoConfig({ baseUrl, token: TOKEN, topology: vezaTopology("staging") }, "create");

describe("the base URL (issue 17 finding 8)", () => {
  it("refuses http:// to a host that is not loopback: the token would travel in clear", () => {
    for (const baseUrl of [
      "http://forgejo.example.org",
      "http://10.0.0.5:3000",
      "http://127.0.0.1.evil.example",
      "http://localhost.evil.example",
      "http://[::ffff:10.0.0.5]",
      "http://[::2]",
    ]) {
      const error = resolve(baseUrl)._unsafeUnwrapErr();
      expect(error.reason, baseUrl).toBe("invalid_input");
      expect(error.message).toContain("https://");
      expect(JSON.stringify(error)).not.toContain(TOKEN);
    }
  });

  it("accepts https:// anywhere and http:// on loopback (127.0.0.0/8, ::1, localhost)", () => {
    for (const baseUrl of [
      "https://forgejo.example.org/sub",
      "http://127.0.0.1:3000",
      "http://127.8.9.10",
      "http://localhost:3000",
      "http://LOCALHOST",
      "http://[::1]:3000",
    ]) {
      expect(resolve(baseUrl).isOk(), baseUrl).toBe(true);
    }
  });
});
