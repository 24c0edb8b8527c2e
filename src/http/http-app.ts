import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import { AcsError } from "../errors/acs-errors.js";
import { createErrorHandler } from "./error-handler.js";
import { createPreAuthHook, createRouteHandler, principalLabel, type PipelineDeps, type RequestFacts } from "./pipeline.js";
import type { RouteSpec } from "./route.js";
import { DEFAULT_BODY_LIMIT, PREAUTH_BODY_THRESHOLD } from "../security/body-limits.js";
import { refuseDuplicateHeaders } from "../security/request-guards.js";
import { requestLineWriter } from "../telemetry/request-line.js";

export interface HttpAppOptions {
  routes: readonly RouteSpec[];
  deps: PipelineDeps;
  log: Logger;
  /** Largest accepted request body per route (bytes); default security/body-limits.ts DEFAULT_BODY_LIMIT. */
  bodyLimitFor?: (route: RouteSpec) => number;
  /** Called once per finished request (metrics, activity). */
  onRequestDone?: (facts: RequestFacts, status: number, durationMs: number, requestId: string) => void;
}

function noSchemaCompilers(): never {
  throw new Error("Switchboard routes carry no fastify JSON schemas: check request parts with zod in the route handler");
}

/**
 * The fastify application: raw-body parsing (the HMAC check needs the exact bytes; JSON is parsed after
 * authentication), the routes through the pipeline, one error handler, one log line per request.
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: DEFAULT_BODY_LIMIT,
    genReqId: () => randomUUID(),
    // Ids such as `8:acs:…` and `19:…@thread.v2` travel percent-encoded; fastify decodes params.
    routerOptions: { maxParamLength: 500, ignoreDuplicateSlashes: false },
    return503OnClosing: true,
    // No route carries a JSON schema (bodies are parsed and checked with zod after authentication), so fastify's
    // ajv and fast-json-stringify compilers are never needed: not building them saves loading ajv at every start.
    schemaController: { compilersFactory: { buildValidator: noSchemaCompilers, buildSerializer: noSchemaCompilers } },
    // Requests the router cannot even read (a malformed percent-encoding, say) get the ACS envelope too.
    frameworkErrors: (_error, _request, reply) => {
      const error = new AcsError("InvalidRequestUrl");
      (reply as FastifyReply).code(error.status).header("x-ms-error-code", error.code).type("application/json; charset=utf-8").send(JSON.stringify(error.toBody()));
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.decorateRequest("facts", null as unknown as RequestFacts);
  // The hooks take fastify's `done` instead of being async: an async hook costs every request a promise and a hop
  // through the microtask queue (a throw still becomes the request's error: fastify's hook runner catches it).
  app.addHook("onRequest", (request, reply, done) => {
    request.facts = { operation: "unknown" };
    reply.header("x-ms-request-id", request.id);
    refuseDuplicateHeaders(request.raw);
    const clientRequestId = request.headers["x-ms-client-request-id"];
    if (typeof clientRequestId === "string" && clientRequestId.length <= 200) {
      reply.header("x-ms-client-request-id", clientRequestId);
    }
    done();
  });

  const log = options.log;
  const writeRequestLine = requestLineWriter(log);
  app.addHook("onResponse", (request, reply, done) => {
    const facts = request.facts;
    const ms = reply.elapsedTime;
    writeRequestLine({
      reqId: request.id,
      op: facts.operation,
      method: request.method,
      resource: facts.resourceId,
      auth: facts.principal?.kind,
      principal: principalLabel(facts),
      claimedIdentity: facts.claimedIdentity,
      subjects: facts.subjects,
      fields: facts.fields,
      status: reply.statusCode,
      code: facts.errorCode,
      warning: facts.apiVersionWarning,
      ms: Math.round(ms * 100) / 100,
    });
    try {
      options.onRequestDone?.(facts, reply.statusCode, ms, request.id);
    } catch (err) {
      // Telemetry must never break a request; say so once per failure.
      log.warn({ reqId: request.id, err: { message: (err as Error).message } }, "request telemetry failed");
    }
    done();
  });

  app.setErrorHandler(createErrorHandler(log));
  app.setNotFoundHandler((request) => {
    request.facts.operation = "not-found";
    throw new AcsError("NotFound", `No operation at ${request.method} ${request.url.split("?")[0]}.`);
  });

  for (const route of options.routes) {
    app.route({
      method: route.method,
      url: route.url,
      bodyLimit: options.bodyLimitFor?.(route) ?? DEFAULT_BODY_LIMIT,
      preParsing: createPreAuthHook(route, options.deps, PREAUTH_BODY_THRESHOLD),
      handler: createRouteHandler(route, options.deps),
    });
  }
  return app;
}
