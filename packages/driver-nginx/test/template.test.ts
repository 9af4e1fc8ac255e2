import { describe, expect, it } from "vitest";
import { defaultNginxTemplate } from "../src/index";
import { answeredRevision, includeRevision } from "../src/nginx-revision";

const view = {
  revision: "green:-:run-1",
  color: "green",
  statusListen: "127.0.0.1:8091",
  statusPath: "/backflip-revision",
  upstreams: [
    { name: "app", servers: ["10.0.0.2:8080", "10.0.0.3:8080"] },
    { name: "api", servers: ["10.0.0.4:9000"] },
  ],
};

describe("the default include template", () => {
  const content = defaultNginxTemplate(view);

  it("stamps the revision on its first line, where includeRevision reads it", () => {
    expect(content.split("\n")[0]).toBe("# backflip-revision: green:-:run-1");
    expect(includeRevision(content)).toBe("green:-:run-1");
  });

  it("names every upstream with the live color's servers only", () => {
    expect(content).toContain("upstream app {\n    server 10.0.0.2:8080;\n    server 10.0.0.3:8080;\n}");
    expect(content).toContain("upstream api {\n    server 10.0.0.4:9000;\n}");
  });

  it("serves the revision at the status location, on the loopback listen address", () => {
    expect(content).toContain("listen 127.0.0.1:8091;");
    expect(content).toContain(
      'location = /backflip-revision {\n        default_type text/plain;\n        return 200 "green:-:run-1\\n";',
    );
  });
});

describe("includeRevision", () => {
  it("reads only a stamp on the first line", () => {
    expect(includeRevision("# backflip-revision: blue:abc:r1\nupstream app {}\n")).toBe("blue:abc:r1");
    expect(includeRevision("# backflip-revision: blue:abc:r1")).toBe("blue:abc:r1");
    expect(includeRevision("upstream app {}\n# backflip-revision: blue:abc:r1\n")).toBeNull();
    expect(includeRevision("")).toBeNull();
  });

  it("refuses a stamp that is not one revision word", () => {
    expect(includeRevision("# backflip-revision: blue r1\n")).toBeNull();
    expect(includeRevision("# backflip-revision: \n")).toBeNull();
    expect(includeRevision('# backflip-revision: blue";\n')).toBeNull();
  });
});

describe("answeredRevision", () => {
  it("reads the status location's body: one word and a newline", () => {
    expect(answeredRevision("green:-:run-1\n")).toBe("green:-:run-1");
    expect(answeredRevision("green:-:run-1")).toBe("green:-:run-1");
  });

  it("refuses anything else (an HTML page, two words, nothing)", () => {
    expect(answeredRevision("<html>404</html>\n")).toBeNull();
    expect(answeredRevision("green:-:run-1 extra\n")).toBeNull();
    expect(answeredRevision("green:-:run-1\n\n")).toBeNull();
    expect(answeredRevision("")).toBeNull();
  });
});
