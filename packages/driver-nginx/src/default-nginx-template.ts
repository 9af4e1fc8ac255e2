/** One `upstream` block of the include file: the live color's servers of one upstream. */
export interface NginxUpstreamView {
  /** The upstream's name, as the main config's `proxy_pass http://<name>` names it. */
  readonly name: string;
  /** `host:port` of each server of the live color. */
  readonly servers: readonly string[];
}

/** What a {@link NginxTemplate} renders the include file from. */
export interface NginxTemplateView {
  /** The revision to stamp: the first line `# backflip-revision: <revision>`, and the status location's answer. */
  readonly revision: string;
  /** The color the include routes to. */
  readonly color: string;
  /** Every upstream, with the servers of {@link color}. */
  readonly upstreams: readonly NginxUpstreamView[];
  /** The loopback `listen` address of the status server that answers the revision. */
  readonly statusListen: string;
  /** The status location's path (`/backflip-revision`). */
  readonly statusPath: string;
}

/**
 * Renders the include file. It must start with `# backflip-revision: <revision>` and
 * serve `<revision>` as the body of `GET <statusPath>` on `statusListen`: that answer is
 * how the driver asks the running nginx which include it has loaded.
 */
export type NginxTemplate = (view: NginxTemplateView) => string;

/**
 * The default include: one `upstream` per upstream with the live color's servers, and a
 * loopback-only status server whose one location answers the revision. The main config
 * includes it inside `http { }` and proxies to the upstreams by name.
 */
export const defaultNginxTemplate: NginxTemplate = (view) =>
  [
    `# backflip-revision: ${view.revision}`,
    `# Rendered by Backflip: traffic goes to ${view.color}. Do not edit: the next flip replaces this file.`,
    ...view.upstreams.flatMap((u) => [
      `upstream ${u.name} {`,
      ...u.servers.map((server) => `    server ${server};`),
      "}",
    ]),
    "server {",
    `    listen ${view.statusListen};`,
    "    access_log off;",
    `    location = ${view.statusPath} {`,
    "        default_type text/plain;",
    `        return 200 "${view.revision}\\n";`,
    "    }",
    "    location / {",
    "        return 404;",
    "    }",
    "}",
    "",
  ].join("\n");
