import { describe, expect, it } from "vitest";
import { LAB_EDGES, LAB_PORTS, labStateDir } from "../src/lab-settings";
import { LAB_SITE, LAB_SITES, labIncusOptions, labPlacement, parseLabSite } from "../src/lab-site";

describe("the lab's sites", () => {
  it("reads BACKFLIP_LAB_SITE: host by default, cluster by name, anything else refused", () => {
    expect(parseLabSite(undefined)).toBe(LAB_SITES.host);
    expect(parseLabSite("")).toBe(LAB_SITES.host);
    expect(parseLabSite("cluster")).toBe(LAB_SITES.cluster);
    expect(() => parseLabSite("clutser")).toThrow("BACKFLIP_LAB_SITE=clutser: expected one of host, cluster");
  });

  it("places each color on its own member and the rest on m1; nothing on the host", () => {
    expect(labPlacement("blue", LAB_SITES.cluster)).toEqual({ target: "m2" });
    expect(labPlacement("green", LAB_SITES.cluster)).toEqual({ target: "m3" });
    expect(labPlacement(undefined, LAB_SITES.cluster)).toEqual({ target: "m1" });
    expect(labPlacement("blue", LAB_SITES.host)).toEqual({});
    expect(labIncusOptions(LAB_SITES.host)._unsafeUnwrap()).toEqual({});
  });

  it("the cluster project's lab: ports 50 above the host lab's, one edge, its own state dir", () => {
    expect(LAB_SITE.name).toBe("cluster");
    expect(LAB_PORTS).toEqual({
      public: 18650,
      app: {
        blue: { backend: 18660, stream: 18661, web: 18662 },
        green: { backend: 18670, stream: 18671, web: 18672 },
      },
    });
    expect(LAB_EDGES.map((e) => e.publicPort)).toEqual([18650]);
    expect(labStateDir()).toMatch(/\/lab-cluster$/);
  });
});
