/**
 * The default `haproxy.cfg` template (handlebars, rendered with `strict: true` and no
 * HTML escaping). Master-worker, a stats socket with `expose-fd listeners` (seamless
 * reloads), the revision stamped with `set-var proc.cfg_rev`, one frontend routing each
 * component by path prefix (the default component takes the rest), and one
 * health-checked backend per component per color.
 *
 * In reload mode the frontend names the active color's backends; in runtime-map mode
 * (`mapFile` set) it looks the backend up in the map, so a flip needs no reload.
 * Variables: see `TemplateView` in the package README.
 */
export const DEFAULT_HAPROXY_TEMPLATE = `# haproxy.cfg rendered by Backflip for {{env}}: active color {{color}}, revision {{revision}}.
# Do not edit by hand: a flip replaces this file atomically (the previous one is kept as .prev).
global
    master-worker
    stats socket {{statsSocket}} mode 660 level admin expose-fd listeners
    stats timeout 30s
{{#if pidFile}}
    pidfile {{pidFile}}
{{/if}}
    set-var proc.cfg_rev str({{revision}})
{{#if httpClientCaFile}}
    # The internal HTTP client (Lua) trusts only these CAs, so starting (haproxy -c, a
    # reload) does not load the whole system CA store: tens of ms saved on every flip.
    httpclient.ssl.ca-file {{httpClientCaFile}}
{{/if}}

defaults
    mode http
    # On a reload, old workers answer the next request with "Connection: close" instead
    # of closing idle keep-alive connections under a client about to reuse them.
    option idle-close-on-response
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s

frontend fe_{{env}}
{{#each binds}}
    bind {{this}}
{{/each}}
{{#each routedComponents}}
    acl is_{{name}} path_beg {{route}}
{{/each}}
{{#if mapFile}}
{{#each routedComponents}}
    use_backend %[str({{name}}),map({{../mapFile}},{{activeBackend}})] if is_{{name}}
{{/each}}
    use_backend %[str({{defaultComponent.name}}),map({{mapFile}},{{defaultComponent.activeBackend}})]
{{else}}
{{#each routedComponents}}
    use_backend {{activeBackend}} if is_{{name}}
{{/each}}
{{/if}}
    default_backend {{defaultComponent.activeBackend}}
{{#each components}}
{{#each backends}}

backend {{name}}
    balance roundrobin
    option httpchk GET {{healthPath}}
    http-check expect status 200
{{#each servers}}
    server {{name}} {{address}} check inter 2s fall 3 rise 2
{{/each}}
{{/each}}
{{/each}}
`;
