import { describe, expect, it } from "vitest";
import { incidentFilePath } from "../src/recipes/index";

describe("incidentFilePath (issue 17 finding 7)", () => {
  it("names the runbook's per-incident file for a Date or an ISO string", () => {
    expect(incidentFilePath("/repo", "staging", "2026-11-26T05:00:00Z")._unsafeUnwrap()).toBe(
      "/repo/docs/runbooks/incidents/2026-11-26-staging.md",
    );
    expect(incidentFilePath("/srv/veza", "prod", new Date("2026-01-02T23:00:00Z"))._unsafeUnwrap()).toBe(
      "/srv/veza/docs/runbooks/incidents/2026-01-02-prod.md",
    );
  });

  it("refuses an env or a date that would leave the incidents folder, and a bad root", () => {
    const refused: [string, string, Date | string, string][] = [
      ["/repo", "../../../../etc/cron.d/x", "2026-11-26", "env"],
      ["/repo", "staging/../../x", "2026-11-26", "env"],
      ["/repo", "staging\n", "2026-11-26", "env"],
      ["/repo", "", "2026-11-26", "env"],
      ["/repo", "staging", "../../../../etc/passwd", "at"],
      ["/repo", "staging", "2026-1/../../x", "at"],
      ["/repo", "staging", new Date("not a date"), "at"],
      ["relative/repo", "staging", "2026-11-26", "root"],
      ["/repo/../etc", "staging", "2026-11-26", "root"],
      ["/repo\0", "staging", "2026-11-26", "root"],
    ];
    for (const [root, env, at, field] of refused) {
      const result = incidentFilePath(root, env, at as Date | string);
      expect(result.isErr(), `${root} ${env} ${String(at)}`).toBe(true);
      const error = result._unsafeUnwrapErr();
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain(field);
    }
  });
});
