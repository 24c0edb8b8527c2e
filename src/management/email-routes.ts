import { z } from "zod";
import { armError } from "../errors/arm-errors.js";
import { defineRoute, type HandlerContext, type Reply, type RouteSpec } from "../http/route.js";
import { requireArmApiVersion } from "./arm-api-version.js";
import type { ArmOperations } from "./arm-operations.js";
import { operationUrls, parse, tags } from "./arm-routes.js";
import { ARM_LOCATION } from "./arm-views.js";
import type { CommunicationServices } from "./communication-services.js";
import type { EmailService, EmailServiceDomain, EmailServices } from "./email-services.js";
import type { LinkedDomains } from "./linked-domains.js";

const ES = "Microsoft.Communication/EmailServices";
export const EMAIL_ACTIONS = {
  read: `${ES}/read`,
  write: `${ES}/write`,
  delete: `${ES}/delete`,
  domainRead: `${ES}/Domains/read`,
  domainWrite: `${ES}/Domains/write`,
  domainDelete: `${ES}/Domains/delete`,
  initiateVerification: `${ES}/Domains/InitiateVerification/action`,
  senderRead: `${ES}/Domains/SenderUsernames/read`,
  senderWrite: `${ES}/Domains/SenderUsernames/write`,
  senderDelete: `${ES}/Domains/SenderUsernames/delete`,
} as const;

const PROVIDER = "providers/Microsoft.Communication";
const SUB = "/subscriptions/:subscriptionId";
const RG = `${SUB}/resourceGroups/:resourceGroupName`;
const SVC = `${RG}/${PROVIDER}/emailServices/:emailServiceName`;
const DOM = `${SVC}/domains/:domainName`;
const SENDER = `${DOM}/senderUsernames/:senderUsername`;

const subScope = (p: Record<string, string>) => `/subscriptions/${p.subscriptionId}`;
const rgScope = (p: Record<string, string>) => `${subScope(p)}/resourceGroups/${p.resourceGroupName}`;
const svcScope = (p: Record<string, string>) => `${rgScope(p)}/${PROVIDER}/emailServices/${p.emailServiceName}`;
const domScope = (p: Record<string, string>) => `${svcScope(p)}/domains/${p.domainName}`;
const senderScope = (p: Record<string, string>) => `${domScope(p)}/senderUsernames/${p.senderUsername}`;

const servicePut = z.object({
  location: z.string().min(1).max(100),
  tags: tags.optional(),
  properties: z.object({ dataLocation: z.string().min(1).max(100).optional() }).prefault({}),
});
const domainPut = z.object({
  location: z.string().min(1).max(100),
  tags: tags.optional(),
  properties: z.object({ domainManagement: z.string().min(1).max(60), userEngagementTracking: z.string().optional() }),
});
const tagsPatch = z.object({ tags: tags.optional() });
const senderPut = z.object({ properties: z.object({ username: z.string().min(1).max(64), displayName: z.string().max(256).optional() }) });
const verifyBody = z.object({ verificationType: z.enum(["Domain", "SPF", "DKIM", "DKIM2", "DMARC"]) });

export interface EmailRouteDeps {
  email: EmailServices;
  services: CommunicationServices;
  operations: ArmOperations;
  linked: LinkedDomains;
  defaultDataLocation: string;
}

export function emailRoutes(deps: EmailRouteDeps): RouteSpec[] {
  const { email, services, operations, linked } = deps;
  const sub = () => services.subscriptionId;

  const begin = (ctx: HandlerContext<unknown>) => {
    const v = requireArmApiVersion(ctx.query);
    services.checkSubscription(ctx.params.subscriptionId!);
    return v;
  };
  const serviceOf = async (ctx: HandlerContext<unknown>) => {
    begin(ctx);
    return email.get(ctx.params.resourceGroupName!, ctx.params.emailServiceName!);
  };
  const domainOf = async (ctx: HandlerContext<unknown>) => {
    const service = await serviceOf(ctx);
    return { service, domain: await email.getDomain(service, ctx.params.domainName!) };
  };

  const serviceId = (s: EmailService) => `/subscriptions/${sub()}/resourceGroups/${s.resourceGroup}/${PROVIDER}/emailServices/${s.name}`;
  const serviceView = (s: EmailService) => ({
    id: serviceId(s),
    name: s.name,
    type: ES,
    location: ARM_LOCATION,
    tags: s.tags,
    systemData: { createdAt: new Date(s.createdAt).toISOString(), lastModifiedAt: new Date(s.updatedAt).toISOString() },
    properties: { provisioningState: "Succeeded", dataLocation: s.dataLocation },
  });
  const domainView = (s: EmailService, d: EmailServiceDomain) => {
    const state = d.verified ? "Verified" : "NotStarted";
    const records =
      d.management === "CustomerManaged"
        ? {
            verificationRecords: {
              Domain: { type: "TXT", name: "@", value: d.verificationCode, ttl: 3600 },
              SPF: { type: "TXT", name: "@", value: "v=spf1 include:spf.protection.outlook.com -all", ttl: 3600 },
              DKIM: { type: "CNAME", name: "selector1-azurecomm-prod-net._domainkey", value: `selector1-azurecomm-prod-net._domainkey.azurecomm.net`, ttl: 3600 },
              DKIM2: { type: "CNAME", name: "selector2-azurecomm-prod-net._domainkey", value: `selector2-azurecomm-prod-net._domainkey.azurecomm.net`, ttl: 3600 },
            },
          }
        : {};
    return {
      id: linked.domainArmId(s.resourceGroup, s.name, d.name),
      name: d.name,
      type: `${ES}/Domains`,
      location: ARM_LOCATION,
      tags: d.tags,
      properties: {
        provisioningState: "Succeeded",
        dataLocation: s.dataLocation,
        fromSenderDomain: d.fromSenderDomain,
        mailFromSenderDomain: d.fromSenderDomain,
        domainManagement: d.management,
        verificationStates: Object.fromEntries(["Domain", "SPF", "DKIM", "DKIM2", "DMARC"].map((k) => [k, { status: state }])),
        ...records,
        userEngagementTracking: "Disabled",
      },
    };
  };
  const senderView = (s: EmailService, d: EmailServiceDomain, u: { username: string; displayName: string }) => ({
    id: `${linked.domainArmId(s.resourceGroup, s.name, d.name)}/senderUsernames/${u.username}`,
    name: u.username,
    type: `${ES}/Domains/SenderUsernames`,
    properties: { dataLocation: s.dataLocation, username: u.username, displayName: u.displayName, provisioningState: "Succeeded" },
  });

  /** A long-running create: 201 with Azure-AsyncOperation (200 when it already existed). */
  const created = async (ctx: HandlerContext<unknown>, v: string, isNew: boolean, target: string, body: unknown): Promise<Reply> => {
    if (!isNew) return { status: 200, body };
    const op = await operations.start("create", target);
    return { status: 201, headers: { "azure-asyncoperation": operationUrls(ctx, sub(), op, v).status, "retry-after": "0" }, body };
  };
  const accepted = async (ctx: HandlerContext<unknown>, v: string, target: string): Promise<Reply> => {
    const op = await operations.start("delete", target);
    const urls = operationUrls(ctx, sub(), op, v);
    return { status: 202, headers: { "azure-asyncoperation": urls.status, location: urls.result, "retry-after": "0" } };
  };
  /** Resources linking a changed domain follow (their sendable domains, and their links if it is gone). */
  const domainChanged = async (s: EmailService, d: EmailServiceDomain, gone: boolean) => {
    const armId = linked.domainArmId(s.resourceGroup, s.name, d.name);
    const linking = await linked.domainChanged(services.all(), armId, d, gone);
    if (gone) for (const r of linking) await services.update(r, { linkedDomains: r.linkedDomains.filter((l) => l.toLowerCase() !== armId.toLowerCase()) });
  };

  const list = (action: string, scope: (p: Record<string, string>) => string, url: string, operation: string, items: (ctx: HandlerContext<unknown>) => Promise<unknown[]>) =>
    defineRoute({
      operation,
      method: "GET",
      url,
      auth: "arm",
      requireApiVersion: false,
      arm: { action, scope },
      handle: async (ctx) => {
        begin(ctx);
        return { status: 200, body: { value: await items(ctx) } };
      },
    });

  return [
    // --- emailServices ---
    defineRoute({
      operation: "arm.emailServices.createOrUpdate",
      method: "PUT",
      url: SVC,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.write, scope: svcScope },
      handle: async (ctx) => {
        const v = begin(ctx);
        const body = parse(servicePut, ctx.body);
        const { service, created: isNew } = await email.upsert(ctx.params.resourceGroupName!, ctx.params.emailServiceName!, { dataLocation: body.properties.dataLocation, tags: body.tags }, deps.defaultDataLocation);
        return created(ctx, v, isNew, serviceId(service), serviceView(service));
      },
    }),
    defineRoute({
      operation: "arm.emailServices.get",
      method: "GET",
      url: SVC,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.read, scope: svcScope },
      handle: async (ctx) => ({ status: 200, body: serviceView(await serviceOf(ctx)) }),
    }),
    defineRoute({
      operation: "arm.emailServices.update",
      method: "PATCH",
      url: SVC,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.write, scope: svcScope },
      handle: async (ctx) => {
        const service = await serviceOf(ctx);
        const body = parse(tagsPatch, ctx.body);
        return { status: 200, body: serviceView(body.tags === undefined ? service : await email.updateTags(service, body.tags)) };
      },
    }),
    defineRoute({
      operation: "arm.emailServices.delete",
      method: "DELETE",
      url: SVC,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.delete, scope: svcScope },
      handle: async (ctx) => {
        const v = begin(ctx);
        const service = await email.find(ctx.params.resourceGroupName!, ctx.params.emailServiceName!);
        if (service === undefined) return { status: 204 };
        for (const d of await email.domains(service)) await domainChanged(service, d, true);
        await email.delete(service);
        return accepted(ctx, v, serviceId(service));
      },
    }),
    list(EMAIL_ACTIONS.read, rgScope, `${RG}/${PROVIDER}/emailServices`, "arm.emailServices.listByResourceGroup", async (ctx) =>
      (await email.list(ctx.params.resourceGroupName!)).map(serviceView),
    ),
    list(EMAIL_ACTIONS.read, subScope, `${SUB}/${PROVIDER}/emailServices`, "arm.emailServices.listBySubscription", async () => (await email.list()).map(serviceView)),
    // --- domains ---
    defineRoute({
      operation: "arm.domains.createOrUpdate",
      method: "PUT",
      url: DOM,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.domainWrite, scope: domScope },
      handle: async (ctx) => {
        const v = begin(ctx);
        const service = await serviceOf(ctx);
        const body = parse(domainPut, ctx.body);
        const { domain, created: isNew } = await email.upsertDomain(service, ctx.params.domainName!, { management: body.properties.domainManagement, tags: body.tags });
        return created(ctx, v, isNew, linked.domainArmId(service.resourceGroup, service.name, domain.name), domainView(service, domain));
      },
    }),
    defineRoute({
      operation: "arm.domains.get",
      method: "GET",
      url: DOM,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.domainRead, scope: domScope },
      handle: async (ctx) => {
        const { service, domain } = await domainOf(ctx);
        return { status: 200, body: domainView(service, domain) };
      },
    }),
    defineRoute({
      operation: "arm.domains.delete",
      method: "DELETE",
      url: DOM,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.domainDelete, scope: domScope },
      handle: async (ctx) => {
        const v = begin(ctx);
        const service = await serviceOf(ctx);
        const domain = await email.findDomain(service, ctx.params.domainName!);
        if (domain === undefined) return { status: 204 };
        await domainChanged(service, domain, true);
        await email.deleteDomain(domain);
        return accepted(ctx, v, linked.domainArmId(service.resourceGroup, service.name, domain.name));
      },
    }),
    list(EMAIL_ACTIONS.domainRead, svcScope, `${SVC}/domains`, "arm.domains.list", async (ctx) => {
      const service = await serviceOf(ctx);
      return (await email.domains(service)).map((d) => domainView(service, d));
    }),
    defineRoute({
      operation: "arm.domains.initiateVerification",
      method: "POST",
      url: `${DOM}/initiateVerification`,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.initiateVerification, scope: domScope },
      handle: async (ctx) => {
        const v = begin(ctx);
        const { service, domain } = await domainOf(ctx);
        parse(verifyBody, ctx.body);
        if (domain.management !== "CustomerManaged") throw armError("notCustomerManaged");
        // No DNS is consulted on a local server: asking for verification verifies (docs/management.md).
        await email.verify(domain);
        return accepted(ctx, v, linked.domainArmId(service.resourceGroup, service.name, domain.name));
      },
    }),
    // --- senderUsernames ---
    defineRoute({
      operation: "arm.senderUsernames.createOrUpdate",
      method: "PUT",
      url: SENDER,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.senderWrite, scope: senderScope },
      handle: async (ctx) => {
        const { service, domain } = await domainOf(ctx);
        const body = parse(senderPut, ctx.body);
        const username = ctx.params.senderUsername!;
        if (body.properties.username.toLowerCase() !== username.toLowerCase()) {
          throw armError("senderUsernameMismatch");
        }
        const entry = { username, displayName: body.properties.displayName ?? "" };
        const existed = domain.senderUsernames.some((u) => u.username.toLowerCase() === username.toLowerCase());
        const next = [...domain.senderUsernames.filter((u) => u.username.toLowerCase() !== username.toLowerCase()), entry];
        await email.setSenderUsernames(domain, next);
        await domainChanged(service, { ...domain, senderUsernames: next }, false);
        return { status: existed ? 200 : 201, body: senderView(service, domain, entry) };
      },
    }),
    defineRoute({
      operation: "arm.senderUsernames.get",
      method: "GET",
      url: SENDER,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.senderRead, scope: senderScope },
      handle: async (ctx) => {
        const { service, domain } = await domainOf(ctx);
        const u = domain.senderUsernames.find((x) => x.username.toLowerCase() === ctx.params.senderUsername!.toLowerCase());
        if (u === undefined) throw armError("senderUsernameNotFound", { username: ctx.params.senderUsername! });
        return { status: 200, body: senderView(service, domain, u) };
      },
    }),
    defineRoute({
      operation: "arm.senderUsernames.delete",
      method: "DELETE",
      url: SENDER,
      auth: "arm",
      requireApiVersion: false,
      arm: { action: EMAIL_ACTIONS.senderDelete, scope: senderScope },
      handle: async (ctx) => {
        const { service, domain } = await domainOf(ctx);
        const next = domain.senderUsernames.filter((u) => u.username.toLowerCase() !== ctx.params.senderUsername!.toLowerCase());
        if (next.length === domain.senderUsernames.length) return { status: 204 };
        await email.setSenderUsernames(domain, next);
        await domainChanged(service, { ...domain, senderUsernames: next }, false);
        return { status: 200 };
      },
    }),
    list(EMAIL_ACTIONS.senderRead, domScope, `${DOM}/senderUsernames`, "arm.senderUsernames.list", async (ctx) => {
      const { service, domain } = await domainOf(ctx);
      return domain.senderUsernames.map((u) => senderView(service, domain, u));
    }),
  ];
}
