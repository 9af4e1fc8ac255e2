import type { DriverError } from "@backflip/core";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { streamSSE } from "hono/streaming";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { notJsonError, readDeployFailedWebhook } from "./alert-webhook";
import { feedItemView } from "./feed-item-view";
import { homePage, offerPage, pastRunsFragment, runPage } from "./pages";
import type { Offer, RollbackDesk } from "./rollback-desk";
import { bearerMatches, type ServiceAccess, unauthorized } from "./service-access";

/** The largest request body accepted (Alertmanager's webhook for a large group fits well within). */
const MAX_BODY = 1 << 20;

/** The HTTP status of a service error: bad input 400, unknown 404, a conflict 409, a backend that failed 503. */
export function statusOf(error: DriverError): ContentfulStatusCode {
  switch (error.reason) {
    case "invalid_input":
      return 400;
    case "not_found":
      return 404;
    case "conflict":
      return 409;
    case "unsupported":
      return 422;
    default:
      return 503;
  }
}

/** A service error as JSON: what failed, why, and the next move; never a cause object. */
function errorBody(error: DriverError) {
  return {
    error: {
      reason: error.reason,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.details?.owner ? { holder: error.details.owner } : {}),
    },
  };
}

/** An offer as JSON: the alert, the decision, the dry run (each step with its rendered lines) or why there is none. */
export function offerJson(offer: Offer) {
  const { offered } = offer;
  return {
    id: offer.id,
    url: `/offers/${offer.id}`,
    alert: offer.alert,
    decision: offer.decision,
    plan: offered.plan ? offered.plan.describe() : null,
    ...("why" in offered ? { why: offered.why } : {}),
    ...(offer.approval ? { approval: offer.approval } : {}),
  };
}

async function readJson(req: Request): Promise<{ ok: true; body: unknown } | { ok: false }> {
  try {
    return { ok: true, body: JSON.parse(await req.text()) };
  } catch {
    return { ok: false };
  }
}

/**
 * The service's routes:
 * - `POST /alerts` — Alertmanager's webhook: 201 with a new offer, 200 with the offer an
 *   earlier delivery of the same alert made, 202 with the reason when it is ignored, 400
 *   when the body is not a version-4 payload (nothing changes), 413 over 1 MiB, 503 when observing failed.
 * - `GET /offers/:id` — the page; `GET /offers/:id/plan.txt` the dry run as text; `GET /offers/:id/plan.json` as JSON.
 * - `POST /offers/:id/approve` `{ "approver": "alice" }` — 202 with the run id once the run
 *   started under the lease; 400 for a bad name, 404, 409 (approved already, no plan, lease held).
 * - `GET /runs/:id` — a run's page; `GET /runs/:id/events` — its events (server-sent), live or from the journal.
 * - `GET /` — offers and past runs; `GET /fragments/past-runs` — the past runs alone.
 *
 * With `access.alertToken`, `POST /alerts` without that bearer token gets 401; with
 * `access.approverHeader`, an approval without that header gets 401 and the header names
 * the approver (see {@link ServiceAccess}). A 401 changes nothing.
 */
export function serviceApp(desk: RollbackDesk, access: ServiceAccess = {}): Hono {
  const app = new Hono();
  const limit = bodyLimit({
    maxSize: MAX_BODY,
    onError: (c) =>
      c.json(
        { error: { reason: "invalid_input", message: `the body is larger than ${MAX_BODY} bytes` } },
        413,
      ),
  });
  app.post("/alerts", limit);
  app.post("/offers/:id/approve", limit);
  const { alertToken, approverHeader } = access;
  if (alertToken !== undefined)
    app.post("/alerts", async (c, next) => {
      if (bearerMatches(c.req.header("authorization"), alertToken)) return next();
      c.header("WWW-Authenticate", 'Bearer realm="backflip"');
      return c.json(
        unauthorized(
          "POST /alerts needs the service's bearer token",
          "set Alertmanager's http_config.authorization.credentials_file to the service's token file",
        ),
        401,
      );
    });
  /** The user the single-sign-on proxy names, when the service takes approvers from it. */
  const proxiedUser = (req: { header(name: string): string | undefined }) =>
    approverHeader === undefined ? undefined : (req.header(approverHeader) ?? "");
  const { description } = desk.target;
  const past = async () => pastRunsFragment(await desk.pastRuns());

  app.post("/alerts", async (c) => {
    const json = await readJson(c.req.raw);
    if (!json.ok) return c.json(errorBody(notJsonError()), 400);
    const verdict = readDeployFailedWebhook(json.body, desk.env);
    if (verdict.isErr()) return c.json(errorBody(verdict.error), 400);
    if (verdict.value.kind === "ignored") return c.json({ ignored: verdict.value.reason }, 202);
    const received = await desk.receive(verdict.value.alert);
    if (received.isErr()) return c.json(errorBody(received.error), statusOf(received.error));
    const { offer, created } = received.value;
    if (created) c.header("Location", `/offers/${offer.id}`);
    return c.json({ offer: offerJson(offer) }, created ? 201 : 200);
  });

  const withOffer = (id: string) => desk.offer(id);
  const noOffer = (id: string) => ({ error: { reason: "not_found", message: `no offer ${id}` } });

  app.get("/offers/:id", async (c) => {
    const offer = withOffer(c.req.param("id"));
    if (!offer) return c.json(noOffer(c.req.param("id")), 404);
    return c.html(offerPage(offer, description, await past(), proxiedUser(c.req)));
  });
  app.get("/offers/:id/plan.txt", (c) => {
    const offer = withOffer(c.req.param("id"));
    if (!offer) return c.json(noOffer(c.req.param("id")), 404);
    return c.text(
      offer.offered.plan
        ? offer.offered.plan.render()
        : `no plan: ${"why" in offer.offered ? offer.offered.why : ""}`,
    );
  });
  app.get("/offers/:id/plan.json", (c) => {
    const offer = withOffer(c.req.param("id"));
    return offer ? c.json(offerJson(offer)) : c.json(noOffer(c.req.param("id")), 404);
  });

  app.post("/offers/:id/approve", async (c) => {
    const user = proxiedUser(c.req);
    if (user === "")
      return c.json(
        unauthorized(
          `an approval needs the ${approverHeader} header naming the approver`,
          "approve through the single-sign-on proxy that sets it",
        ),
        401,
      );
    const json = await readJson(c.req.raw);
    if (!json.ok)
      return c.json(
        {
          error: {
            reason: "invalid_input",
            message: "the body is not JSON",
            hint: 'send {"approver": "alice"}',
          },
        },
        400,
      );
    const body = json.body;
    const approver =
      user ?? (typeof body === "object" && body !== null && "approver" in body ? body.approver : undefined);
    const approved = await desk.approve(c.req.param("id"), approver);
    if (approved.isErr()) return c.json(errorBody(approved.error), statusOf(approved.error));
    const { runId } = approved.value;
    return c.json({ ...approved.value, page: `/runs/${runId}`, events: `/runs/${runId}/events` }, 202);
  });

  app.get("/runs/:id", async (c) => {
    const report = await desk.report(c.req.param("id"));
    if (report.isErr()) return c.json(errorBody(report.error), statusOf(report.error));
    return c.html(runPage(report.value, description, await past()));
  });
  app.get("/runs/:id/events", async (c) => {
    const feed = await desk.watch(c.req.param("id"));
    if (feed.isErr()) return c.json(errorBody(feed.error), statusOf(feed.error));
    return streamSSE(c, async (stream) => {
      await new Promise<void>((done) => {
        let unsubscribe = () => {};
        stream.onAbort(() => {
          unsubscribe();
          done();
        });
        let writing = Promise.resolve();
        unsubscribe = feed.value.subscribe((item) => {
          writing = writing.then(() => stream.writeSSE({ data: JSON.stringify(feedItemView(item)) }));
          if (item.kind === "outcome")
            writing.then(() => {
              unsubscribe();
              done();
            });
        });
      });
    });
  });

  app.get("/fragments/past-runs", async (c) => c.html(await past()));
  app.get("/", async (c) => c.html(homePage(desk.allOffers(), desk.env, description, await past())));
  return app;
}
