import type { LeaseStatus } from "@backflip/core";
import { envNameSchema, freeTextSchema } from "@backflip/core/driver-kit";
import * as z from "zod";
import { actorSchema, globalSchema } from "../cli-args";
import { type Command, defaultActor, GLOBAL_HELP, validateOrFail } from "../command";
import type { Coordination } from "../coordination";
import { EXIT, EXIT_CODES_HELP, type ExitCode, exitForDriverError } from "../exit-codes";
import { ago, breakLine, type EnvLease, inspectLeases, leaseBreaks, leaseLine } from "../lease-report";
import { fail, failDriver, type Output } from "../output";
import { listRuns } from "../run-list";
import { described } from "./table";

/** The run a CLI-held lease names (its owner ends with ` run <run-id>`), if any. */
export function leaseRunId(owner: string): string | undefined {
  return / run (\S+)$/.exec(owner)?.[1];
}

/** A lease as `lease show --json` and `lease break --json` print it. */
function leaseJson({ env, lease }: EnvLease) {
  if (!lease) return { env, held: false };
  const runId = leaseRunId(lease.lease.owner);
  return {
    env,
    held: true,
    owner: lease.lease.owner,
    ...(runId ? { runId } : {}),
    acquiredAt: lease.lease.acquiredAt,
    expiresAt: lease.lease.expiresAt,
    token: lease.lease.token,
    stale: lease.stale,
  };
}

const showSchema = globalSchema;

/** `lease show`: every environment's lease (this one with --env), and the breaks the store recorded. */
async function show(out: Output, store: Coordination, env: string | undefined): Promise<ExitCode> {
  let envs = env ? [env] : ["staging"];
  if (!env) {
    const listing = await listRuns(store.journal);
    if (listing.isErr()) return failDriver(out, exitForDriverError(listing.error), listing.error);
    envs = [...envs, ...listing.value.runs.map((r) => r.intent.env)].sort();
  }
  const leases = await inspectLeases(store.lock, envs);
  if (leases.isErr()) return failDriver(out, exitForDriverError(leases.error), leases.error);
  const breaks = await leaseBreaks(
    store,
    leases.value.map((l) => l.env),
  );
  if (breaks.isErr()) return failDriver(out, exitForDriverError(breaks.error), breaks.error);
  const now = new Date();
  out.text(`coordination: ${store.description}`);
  out.text("leases:");
  for (const lease of leases.value) {
    out.text(`  ${leaseLine(lease, now)}`);
    const runId = lease.lease ? leaseRunId(lease.lease.lease.owner) : undefined;
    if (runId) out.text(`    run ${runId} (${out.program.name} runs, ${out.program.name} resume ${runId})`);
  }
  if (!store.breaks) out.text(`breaks: this store (${store.kind}) keeps no record of broken leases`);
  else if (breaks.value.length === 0) out.text("breaks: none recorded");
  else out.text("stale leases broken (recorded by the store):");
  for (const broken of breaks.value) out.text(`  ${breakLine(broken)}`);
  out.object({
    type: "leases",
    coordination: { kind: store.kind, shared: store.shared, recordsBreaks: store.breaks !== undefined },
    leases: leases.value.map(leaseJson),
    breaks: store.breaks ? breaks.value : null,
  });
  return EXIT.ok;
}

const breakSchema = globalSchema.extend({
  env: z.string({ error: "required: the environment whose lease to break" }).pipe(envNameSchema),
  // short enough that the store's record of who broke it (≤ 256 characters) holds it whole
  reason: z.string({ error: "required: say why (recorded with the break)" }).pipe(freeTextSchema(100)),
  actor: actorSchema.optional(),
  yes: z.boolean().default(false),
});

/** Why a lease cannot be broken now: it is live. Exit 4, naming who holds it and until when. */
function refuseLive(out: Output, env: string, { lease }: LeaseStatus): ExitCode {
  return fail(out, EXIT.locked, {
    message: `${env}'s lease is live: held by ${lease.owner} since ${lease.acquiredAt} (${ago(lease.acquiredAt, new Date())} ago), until ${lease.expiresAt}; a live lease is never broken`,
    hint: "ask its holder; a holder that died leaves it to expire (its time-to-live, default 60 s), then break it",
    reason: "lock_held",
  });
}

/** `lease break`: breaks a stale lease, after showing who holds it and since when (and asking, on a terminal). */
async function breakLease(
  out: Output,
  store: Coordination,
  args: z.output<typeof breakSchema>,
  confirm: ((question: string) => Promise<boolean>) | undefined,
): Promise<ExitCode> {
  const { env } = args;
  const held = await store.lock.inspect(env);
  if (held.isErr()) return failDriver(out, exitForDriverError(held.error), held.error);
  const lease = held.value;
  if (!lease) {
    out.text(`${env}: free — nothing to break`);
    out.object({ type: "lease-break", env, broken: false, lease: null });
    return EXIT.ok;
  }
  if (!lease.stale) return refuseLive(out, env, lease);
  out.text(`${leaseLine({ env, lease }, new Date())}`);
  if (!args.yes) {
    const asked = confirm ? await confirm(`Break ${env}'s stale lease?`) : false;
    if (!asked) {
      out.text(
        confirm
          ? "nothing was changed."
          : "nothing was changed: breaking a lease is destructive; re-run with --yes to do it.",
      );
      out.object({ type: "dry-run", confirm: "--yes", lease: leaseJson({ env, lease }) });
      return EXIT.ok;
    }
  }
  const broken = await store.lock.breakStale(env);
  if (broken.isErr())
    return broken.error.reason === "conflict"
      ? fail(out, EXIT.locked, {
          message: `${env}'s lease was renewed or taken meanwhile: ${broken.error.message}`,
          hint: `see who holds it: ${out.program.name} lease show --env ${env}`,
          reason: "lock_held",
        })
      : failDriver(out, exitForDriverError(broken.error), broken.error);
  const runId = leaseRunId(broken.value.owner);
  out.text(`broke ${env}'s stale lease of ${broken.value.owner} (token ${broken.value.token})`);
  const recorded = store.breaks
    ? (await store.breaks(env)).map((all) => all.find((b) => b.lease.token === broken.value.token))
    : undefined;
  if (recorded?.isOk() && recorded.value)
    out.text(`recorded by the store: ${breakLine({ env, broken: recorded.value })}`);
  else
    out.problem(
      store.breaks
        ? `warning: the store's record of the break could not be read back${recorded?.isErr() ? `: ${recorded.error.message}` : ""}`
        : `note: this store (${store.kind}) keeps no record of the break: write who broke it and why into the incident`,
    );
  if (runId)
    out.text(
      `its run ${runId} is interrupted: resume or revert it (${out.program.name} resume ${runId}, or --revert)`,
    );
  out.object({
    type: "lease-break",
    env,
    broken: true,
    lease: broken.value,
    ...(runId ? { runId } : {}),
    brokenBy: recorded?.isOk() && recorded.value ? recorded.value.brokenBy : null,
    reason: args.reason,
  });
  return EXIT.ok;
}

/** `%prog lease show|break`: the environments' leases, and breaking a stale one with a reason. */
export const leaseCommand: Command = {
  ...described("lease"),
  positionals: 1,
  options: { actor: { type: "string" }, reason: { type: "string" }, yes: { type: "boolean" } },
  help: `Usage: %prog lease show [--env NAME] [options]
       %prog lease break --env NAME --reason TEXT [--yes] [options]

show: for this environment (--env), or for staging and every environment the journal
has runs of, who holds the lease, its run, since when, until when, its fencing token, and
whether it is stale (its holder presumed dead); and the breaks the store recorded (Incus
and etcd record who broke which lease, and when; the local files keep no record).

break: breaks the environment's STALE lease — one whose holder stopped renewing it past
its expiry (killed, asleep, cut off). First make sure its holder is dead: ask the owner
it names. A live lease is never broken (exit 4 names its owner and expiry). It shows who
holds the lease and since when, then asks on a terminal; without a terminal it only
shows it unless --yes. The store records the break with who broke it and why (--actor,
--reason). A lease whose run can be resumed is better broken by
\`%prog resume <run-id> --break-stale-lock\`, which takes the lease in the same step.

Options:
  --env NAME       the environment (break: required)
  --reason TEXT    break: why, one line (recorded with the break by Incus and etcd)
  --actor NAME     break: who breaks it (default $BACKFLIP_ACTOR or your login)
  --yes            break: do it without asking

${GLOBAL_HELP}

Examples:
  %prog lease show
  %prog lease show --env prod --coordination incus --json
  %prog lease break --env prod --reason "runner vm-3 died mid-run" --coordination etcd --etcd-endpoints http://10.0.0.5:2379

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const action = raw.positionals[0];
    if (action !== "show" && action !== "break")
      return fail(out, EXIT.usage, {
        message:
          action === undefined
            ? "expected show or break"
            : `<action>: no "${action}": expected show or break`,
        hint: `see: ${out.program.name} lease --help`,
        reason: "usage",
      });
    if (action === "show") {
      const bad = ["actor", "reason", "yes"].find((k) => raw.values[k] !== undefined);
      if (bad)
        return fail(out, EXIT.usage, {
          message: `--${bad} is only for lease break`,
          hint: `see: ${out.program.name} lease --help`,
          reason: "usage",
        });
      const args = validateOrFail(out, "lease", showSchema, raw.values);
      if (!args) return EXIT.usage;
      const store = await session.coordination(args, out);
      return typeof store === "number" ? store : show(out, store, args.env);
    }
    const args = validateOrFail(out, "lease", breakSchema, raw.values);
    if (!args) return EXIT.usage;
    const store = await session.coordination(
      { ...args, actor: args.actor ?? defaultActor(), why: args.reason },
      out,
    );
    return typeof store === "number" ? store : breakLease(out, store, args, session.confirm);
  },
};
