import { defineRoute, type RouteSpec } from "../http/route.js";
import { AcsError } from "../errors/acs-errors.js";
import { firstQuery, intQuery } from "../http/query.js";
import { parseIdentityId } from "../identity/identity-id.js";
import { callRecordView } from "./call-record.js";
import type { CallRepository } from "./call-repository.js";
import { loadClientScript } from "./client-script.js";
import { DEMO_PAGE } from "./demo-page.js";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

/** The browser client and demo page (public), and the call records API (access key or Entra ID). */
export function callingRoutes(calls: CallRepository): RouteSpec[] {
  let script: Promise<string> | undefined;
  return [
    defineRoute({
      operation: "calling.client",
      method: "GET",
      url: "/calling/client.js",
      auth: "none",
      requireApiVersion: false,
      async handle() {
        script ??= loadClientScript().catch((err: unknown) => {
          script = undefined;
          throw err;
        });
        return {
          status: 200,
          rawBody: await script,
          headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" },
        };
      },
    }),
    defineRoute({
      operation: "calling.demo",
      method: "GET",
      url: "/calling/demo",
      auth: "none",
      requireApiVersion: false,
      handle: () => ({
        status: 200,
        rawBody: DEMO_PAGE,
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
      }),
    }),
    defineRoute({
      operation: "calling.listCalls",
      method: "GET",
      url: "/calling/calls",
      auth: "management",
      requireApiVersion: false,
      async handle(ctx) {
        const identity = firstQuery(ctx.query, "identity");
        if (identity !== undefined && parseIdentityId(identity)?.resourceId !== ctx.resource.id) {
          throw new AcsError("InvalidIdentifier", "identity must be an identity of this resource.", { target: "identity" });
        }
        const limit = intQuery(ctx.query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        if (identity !== undefined) ctx.setSubject(identity);
        const records = await calls.list({ resourceId: ctx.resource.id, ...(identity !== undefined ? { identity } : {}), limit });
        ctx.annotate({ count: records.length });
        return { status: 200, body: { value: records.map(callRecordView) } };
      },
    }),
    defineRoute({
      operation: "calling.getCall",
      method: "GET",
      url: "/calling/calls/:callId",
      auth: "management",
      requireApiVersion: false,
      async handle(ctx) {
        const callId = ctx.params.callId!;
        ctx.annotate({ callId });
        const record = await calls.get(callId);
        if (record === undefined || record.resourceId !== ctx.resource.id) throw new AcsError("CallNotFound");
        return { status: 200, body: callRecordView(record) };
      },
    }),
  ];
}
