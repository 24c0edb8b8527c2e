import { z } from "zod";
import type { Principal } from "../auth/principal.js";
import { armError } from "../errors/arm-errors.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../http/route.js";
import { hostWithoutPort, type ResourceEndpoints } from "../resources/resource-endpoints.js";
import type { Resource } from "../resources/resource.js";
import { ARM_ACTIONS } from "./arm-actions.js";
import { requireArmApiVersion } from "./arm-api-version.js";
import type { ArmAuthorizer } from "./arm-authorizer.js";
import type { ArmOperation, ArmOperations } from "./arm-operations.js";
import { ARM_LOCATION, communicationServiceView, keysView } from "./arm-views.js";
import type { CommunicationServices } from "./communication-services.js";
import type { LinkedDomains } from "./linked-domains.js";

/** The status and result URLs of an operation, on the host the client used. */
export function operationUrls(ctx: HandlerContext<unknown>, subscriptionId: string, op: ArmOperation, apiVersion: string) {
  const base = `${ctx.baseUrl}/subscriptions/${subscriptionId}/${PROVIDER}/locations/${ARM_LOCATION}`;
  return {
    status: `${base}/operationStatuses/${op.id}?api-version=${apiVersion}`,
    result: `${base}/operationResults/${op.id}?api-version=${apiVersion}`,
  };
}

export interface ArmRouteDeps {
  services: CommunicationServices;
  operations: ArmOperations;
  authorizer: ArmAuthorizer;
  endpoints: ResourceEndpoints;
  defaultDataLocation: string;
  pageSize: number;
  /** Linking e-mail domains (validation, and the resource's sendable domains kept in step). */
  linked?: LinkedDomains;
}

const PROVIDER = "providers/Microsoft.Communication";
const SUB = "/subscriptions/:subscriptionId";
const RG = `${SUB}/resourceGroups/:resourceGroupName`;
const CS = `${RG}/${PROVIDER}/communicationServices/:communicationServiceName`;

const subScope = (p: Record<string, string>) => `/subscriptions/${p.subscriptionId}`;
const rgScope = (p: Record<string, string>) => `${subScope(p)}/resourceGroups/${p.resourceGroupName}`;
const csScope = (p: Record<string, string>) => `${rgScope(p)}/${PROVIDER}/communicationServices/${p.communicationServiceName}`;

export const tags = z.record(z.string().min(1).max(512), z.string().max(256)).refine((t) => Object.keys(t).length <= 50, "at most 50 tags");
const linkedDomains = z.array(z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Communication\/emailServices\/[^/]+\/domains\/[^/]+$/i, "must be the ARM id of an e-mail domain")).max(100);

const putBody = z.object({
  location: z.string().min(1).max(100),
  tags: tags.optional(),
  properties: z.object({ dataLocation: z.string().min(1).max(100).optional(), linkedDomains: linkedDomains.optional() }).prefault({}),
});
const patchBody = z.object({ tags: tags.optional(), properties: z.object({ linkedDomains: linkedDomains.optional() }).optional() });
const regenerateBody = z.object({ keyType: z.string().regex(/^(primary|secondary)$/i, "must be Primary or Secondary") });
const nameBody = z.object({ name: z.string().max(1000), type: z.string().max(200) });
const hubBody = z.object({ resourceId: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.NotificationHubs\/namespaces\/[^/]+\/notificationHubs\/[^/]+$/i, "must be the ARM id of a notification hub"), connectionString: z.string().regex(/^Endpoint=sb:\/\/[^;]+;SharedAccessKeyName=[^;]+;SharedAccessKey=[^;]+;?$/i, "must be a notification hub connection string") });

/** Validates an ARM request body; failures are 400 InvalidRequestContent naming the property. */
export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const target = issue.path.join(".") || "body";
  throw armError("invalidContent", { target, problem: issue.message });
}

function host(ctx: HandlerContext<unknown>): string {
  return hostWithoutPort(ctx.headers.host ?? "localhost");
}

function apiVersionOf(ctx: HandlerContext<unknown>): string {
  return requireArmApiVersion(ctx.query);
}

export function armRoutes(deps: ArmRouteDeps): RouteSpec[] {
  const { services, operations, authorizer, endpoints } = deps;

  const view = (r: Resource, ctx: HandlerContext<unknown>) =>
    communicationServiceView(r, { armId: services.armId(r), hostName: endpoints.hostNameOf(r, host(ctx)) });

  /** The resource a path names, after the api-version and subscription checks. */
  const resourceOf = (ctx: HandlerContext<unknown>): Resource => {
    apiVersionOf(ctx);
    services.checkSubscription(ctx.params.subscriptionId!);
    const r = services.get(ctx.params.resourceGroupName!, ctx.params.communicationServiceName!);
    ctx.request.facts.resourceId = r.id; // the request log names the resource acted on, not the listener's
    return r;
  };

  const urlsOf = (ctx: HandlerContext<unknown>, op: ArmOperation, apiVersion: string) => operationUrls(ctx, services.subscriptionId, op, apiVersion);

  /** A list page: what the caller may read in the scope, `$skipToken` paging with a nextLink that carries api-version. */
  const listPage = async (ctx: HandlerContext<unknown>, scope: string, all: Resource[]): Promise<Reply> => {
    const apiVersion = apiVersionOf(ctx);
    services.checkSubscription(ctx.params.subscriptionId!);
    if (!(await authorizer.reaches(ctx.principal, ARM_ACTIONS.read, scope))) throw authorizer.denied(ctx.principal, ARM_ACTIONS.read, scope);
    const visible: Resource[] = [];
    for (const r of all) if (await authorizer.can(ctx.principal, ARM_ACTIONS.read, { armId: services.armId(r), resourceId: r.id })) visible.push(r);
    const skipToken = ctx.query.$skipToken;
    const skip = typeof skipToken === "string" ? Number(skipToken) : 0;
    if (!Number.isInteger(skip) || skip < 0) throw armError("invalidSkipToken");
    const page = visible.slice(skip, skip + deps.pageSize);
    const next = skip + deps.pageSize < visible.length ? `${ctx.baseUrl}${ctx.request.url.split("?")[0]}?api-version=${apiVersion}&$skipToken=${skip + deps.pageSize}` : undefined;
    return { status: 200, body: { value: page.map((r) => view(r, ctx)), ...(next !== undefined ? { nextLink: next } : {}) } };
  };

  const canReadOperation = async (principal: Principal | undefined, op: ArmOperation): Promise<boolean> =>
    (await authorizer.can(principal, ARM_ACTIONS.readOperation, op.target)) || (await authorizer.can(principal, ARM_ACTIONS.read, op.target));

  const findOperation = async (ctx: HandlerContext<unknown>): Promise<ArmOperation> => {
    apiVersionOf(ctx);
    services.checkSubscription(ctx.params.subscriptionId!);
    const op = await operations.get(ctx.params.operationId!);
    // An operation the caller may not see is as absent as one that never was.
    if (op === undefined || !(await canReadOperation(ctx.principal, op))) throw armError("operationNotFound", { operationId: ctx.params.operationId! });
    return op;
  };

  return [
    defineRoute({
      operation: "arm.communicationServices.createOrUpdate",
      method: "PUT",
      url: CS,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.write, scope: csScope },
      handle: async (ctx) => {
        const apiVersion = apiVersionOf(ctx);
        services.checkSubscription(ctx.params.subscriptionId!);
        const body = parse(putBody, ctx.body);
        const rg = ctx.params.resourceGroupName!;
        const name = ctx.params.communicationServiceName!;
        const existing = services.find(rg, name);
        const links = body.properties.linkedDomains;
        if (links !== undefined) await deps.linked?.validate(links);
        if (existing !== undefined) {
          const dataLocation = body.properties.dataLocation;
          if (dataLocation !== undefined && dataLocation !== existing.dataLocation) {
            throw armError("dataLocationImmutable");
          }
          const updated = await services.update(existing, {
            ...(body.tags !== undefined ? { tags: body.tags } : {}),
            ...(links !== undefined ? { linkedDomains: links } : {}),
          });
          if (links !== undefined) await deps.linked?.apply(updated, existing.linkedDomains, links);
          return { status: 200, body: view(updated, ctx) };
        }
        const created = await services.create(rg, name, {
          dataLocation: body.properties.dataLocation ?? deps.defaultDataLocation,
          tags: body.tags,
          linkedDomains: links,
        });
        if (links !== undefined) await deps.linked?.apply(created, [], links);
        ctx.annotate({ resource: created.name });
        const op = await operations.start("create", services.armId(created));
        return {
          status: 201,
          headers: { "azure-asyncoperation": urlsOf(ctx, op, apiVersion).status, "retry-after": "0" },
          body: view(created, ctx),
        };
      },
    }),
    defineRoute({
      operation: "arm.communicationServices.update",
      method: "PATCH",
      url: CS,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.write, scope: csScope },
      handle: async (ctx) => {
        const r = resourceOf(ctx);
        const body = parse(patchBody, ctx.body);
        const links = body.properties?.linkedDomains;
        if (links !== undefined) await deps.linked?.validate(links);
        const updated = await services.update(r, {
          ...(body.tags !== undefined ? { tags: body.tags } : {}),
          ...(links !== undefined ? { linkedDomains: links } : {}),
        });
        if (links !== undefined) await deps.linked?.apply(updated, r.linkedDomains, links);
        return { status: 200, body: view(updated, ctx) };
      },
    }),
    defineRoute({
      operation: "arm.communicationServices.get",
      method: "GET",
      url: CS,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.read, scope: csScope },
      handle: (ctx) => ({ status: 200, body: view(resourceOf(ctx), ctx) }),
    }),
    defineRoute({
      operation: "arm.communicationServices.delete",
      method: "DELETE",
      url: CS,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.delete, scope: csScope },
      handle: async (ctx) => {
        const apiVersion = apiVersionOf(ctx);
        services.checkSubscription(ctx.params.subscriptionId!);
        const r = services.find(ctx.params.resourceGroupName!, ctx.params.communicationServiceName!);
        if (r === undefined) return { status: 204 };
        const armId = services.armId(r);
        await services.delete(r);
        const op = await operations.start("delete", armId);
        const urls = urlsOf(ctx, op, apiVersion);
        return { status: 202, headers: { "azure-asyncoperation": urls.status, location: urls.result, "retry-after": "0" } };
      },
    }),
    defineRoute({
      operation: "arm.communicationServices.listByResourceGroup",
      method: "GET",
      url: `${RG}/${PROVIDER}/communicationServices`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.read, scope: rgScope, filtered: true },
      handle: (ctx) => listPage(ctx, rgScope(ctx.params), services.inGroup(ctx.params.resourceGroupName!)),
    }),
    defineRoute({
      operation: "arm.communicationServices.listBySubscription",
      method: "GET",
      url: `${SUB}/${PROVIDER}/communicationServices`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.read, scope: subScope, filtered: true },
      handle: (ctx) => listPage(ctx, subScope(ctx.params), services.all()),
    }),
    defineRoute({
      operation: "arm.communicationServices.listKeys",
      method: "POST",
      url: `${CS}/listKeys`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.listKeys, scope: csScope },
      handle: (ctx) => {
        const r = resourceOf(ctx);
        return { status: 200, body: keysView(r, endpoints.endpointOf(r, host(ctx))) };
      },
    }),
    defineRoute({
      operation: "arm.communicationServices.regenerateKey",
      method: "POST",
      url: `${CS}/regenerateKey`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.regenerateKey, scope: csScope },
      handle: async (ctx) => {
        const r = resourceOf(ctx);
        const key = parse(regenerateBody, ctx.body).keyType.toLowerCase() as "primary" | "secondary";
        const updated = await services.regenerateKey(r, key);
        ctx.annotate({ key });
        return { status: 200, body: keysView(updated, endpoints.endpointOf(updated, host(ctx)), key) };
      },
    }),
    defineRoute({
      operation: "arm.communicationServices.linkNotificationHub",
      method: "POST",
      url: `${CS}/linkNotificationHub`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.linkNotificationHub, scope: csScope },
      handle: async (ctx) => {
        const r = resourceOf(ctx);
        const hub = parse(hubBody, ctx.body);
        await services.update(r, { notificationHub: hub });
        return { status: 200, body: { resourceId: hub.resourceId } };
      },
    }),
    defineRoute({
      operation: "arm.checkNameAvailability",
      method: "POST",
      url: `${SUB}/${PROVIDER}/checkNameAvailability`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.checkNameAvailability, scope: subScope },
      handle: (ctx) => {
        apiVersionOf(ctx);
        services.checkSubscription(ctx.params.subscriptionId!);
        const body = parse(nameBody, ctx.body);
        if (body.type.toLowerCase() !== "microsoft.communication/communicationservices") {
          return { status: 200, body: { nameAvailable: false, reason: "Invalid", message: `The type '${body.type}' is not Microsoft.Communication/CommunicationServices.` } };
        }
        const problem = services.nameProblem(body.name);
        return { status: 200, body: problem === undefined ? { nameAvailable: true } : { nameAvailable: false, ...problem } };
      },
    }),
    defineRoute({
      operation: "arm.operationStatus",
      method: "GET",
      url: `${SUB}/${PROVIDER}/locations/:location/operationStatuses/:operationId`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.readOperation, scope: subScope, filtered: true },
      handle: async (ctx) => {
        const op = await findOperation(ctx);
        return {
          status: 200,
          headers: (op.status === "Running" ? { "retry-after": "0" } : {}) as Record<string, string>,
          body: {
            id: `/subscriptions/${services.subscriptionId}/${PROVIDER}/locations/${ARM_LOCATION}/operationStatuses/${op.id}`,
            name: op.id,
            resourceId: op.target,
            status: op.status,
            startTime: op.startTime,
            ...(op.endTime !== undefined ? { endTime: op.endTime } : {}),
            percentComplete: op.status === "Succeeded" ? 100 : 0,
          },
        };
      },
    }),
    defineRoute({
      operation: "arm.operationResult",
      method: "GET",
      url: `${SUB}/${PROVIDER}/locations/:location/operationResults/:operationId`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: ARM_ACTIONS.readOperation, scope: subScope, filtered: true },
      handle: async (ctx) => {
        const op = await findOperation(ctx);
        if (op.status === "Running") {
          return { status: 202, headers: { location: urlsOf(ctx, op, apiVersionOf(ctx)).result, "retry-after": "0" } };
        }
        return { status: 204 };
      },
    }),
  ];
}
