/**
 * The postmortem entry's handlebars template (compiled in strict mode: a missing field is
 * an error, never an empty string). Sections follow the runbook's "Post-incident": what
 * happened, why the deploy failed, what triggered the rollback, then the record. Every
 * value arrives as Markdown already (`postIncident` escapes what people and backends
 * wrote, and fences the commands), so the template is compiled with `noEscape`.
 */
export const POSTMORTEM_TEMPLATE = `## {{title}}

- **When:** {{startedAt}} ({{env}})
- **Outcome:** {{outcome}}
- **Path:** {{pathLabel}}
- **Run:** {{runId}} by {{owner}}; asked by {{actor}}
{{#if move}}- **Traffic:** {{move}}
{{/if}}{{#if sha}}- **Release:** {{sha}}
{{/if}}

### What happened

{{whatHappened}}

### Why the deploy failed

{{whyFailed}}

### What triggered the rollback

{{trigger}}
{{#if decision}}
Decision: {{decision}}
{{/if}}{{#if warnings.length}}
### Warnings

{{#each warnings}}- {{this}}
{{/each}}{{/if}}
### Timings

| # | step | kind | outcome | duration |
| --- | --- | --- | --- | --- |
{{#each steps}}| {{index}} | {{title}} | {{kind}} | {{outcome}} | {{duration}} |
{{/each}}

Total: {{total}}.

### Every command run

{{#if commands}}{{commands}}{{else}}None: nothing ran.{{/if}}
{{#if logs.length}}
### Run log

{{#each logs}}- {{this}}
{{/each}}{{/if}}
### Follow-ups

{{#each followUps}}- [ ] {{this}}
{{/each}}
`;
