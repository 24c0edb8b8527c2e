import type { Principal } from "../auth/principal.js";
import { AcsError } from "../errors/acs-errors.js";
import type { HandlerContext, Reply, RouteSpec } from "../http/route.js";
import type { Authorizer } from "../rbac/authorizer.js";
import { ConsoleAuth, CONSOLE_COOKIE, parseCookie, type ConsoleSession } from "./console-auth.js";
import { layout, pageHeaders } from "./console-html.js";

/** Who is using the console on this request: the session, and the operator as the principal of its actions. */
export interface Operator {
  session: ConsoleSession;
  principal: Principal;
}

export function signInNeededPage(): Reply {
  return {
    status: 401,
    rawBody: layout(
      { title: "Sign in to the console" },
      `<p>Run <code>switchboard console link</code> on the machine that runs the server and open the link it prints. Each link works once, for five minutes.</p>
<p>Or <a href="/console/login">sign in with a user account</a> of the built-in authority (<code>switchboard user create</code>; what it may do follows its role assignments).</p>`,
    ),
    headers: pageHeaders(),
  };
}

/** Reads the session; pages answer 401 with a page that says how to sign in, the data API with the ACS error shape. */
export type UserPrincipalLookup = (objectId: string) => Promise<Principal | undefined>;

export async function operatorOf(auth: ConsoleAuth, ctx: HandlerContext<unknown>, users: UserPrincipalLookup): Promise<Operator | undefined> {
  const session = await auth.session(parseCookie(ctx.headers.cookie, CONSOLE_COOKIE));
  if (session === undefined) return undefined;
  // A built-in user's session ends when the user is disabled or deleted.
  const principal: Principal | undefined =
    session.userObjectId === undefined ? { kind: "operator", name: `console:${session.operator}` } : await users(session.userObjectId);
  if (principal === undefined) return undefined;
  // The activity record and the request log name the operator as the principal of every console request.
  ctx.request.facts.principal = principal;
  return { session, principal };
}

export async function requireApiOperator(auth: ConsoleAuth, ctx: HandlerContext<unknown>, users: UserPrincipalLookup): Promise<Operator> {
  const op = await operatorOf(auth, ctx, users);
  if (op === undefined) throw new AcsError("MissingAuthorization", "Sign in to the console first (switchboard console link).");
  return op;
}

/** State-changing requests carry the session's CSRF token: the form field `csrf` or the x-csrf-token header. */
export function requireCsrf(op: Operator, ctx: HandlerContext<unknown>, form: Record<string, string>): void {
  const header = ctx.headers["x-csrf-token"];
  const presented = typeof header === "string" ? header : form.csrf;
  if (!ConsoleAuth.checkCsrf(op.session, presented)) throw new AcsError("Forbidden", "The request has no valid CSRF token; reload the page.");
}

/** The same RBAC as the API: the operation is authorized for the operator's principal on the resource. */
export async function authorizeAction(authorizer: Authorizer, op: Operator, operation: string, ctx: HandlerContext<unknown>, resource = ctx.resource): Promise<void> {
  await authorizer.authorize(op.principal, { operation, method: "POST", url: ctx.request.url, auth: "management", handle: () => ({ status: 500 }) } as RouteSpec, resource);
}

/** Body of a console POST: a form (the pages) or JSON (scripts). */
export function readForm(ctx: HandlerContext<unknown>): Record<string, string> {
  const raw = ctx.rawBody.toString("utf8");
  if (raw === "") return {};
  const type = ctx.headers["content-type"] ?? "";
  if (type.startsWith("application/json")) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]));
    } catch {
      throw new AcsError("InvalidJson");
    }
  }
  const params = new URLSearchParams(raw);
  const out: Record<string, string> = {};
  for (const key of new Set(params.keys())) out[key] = params.getAll(key).join(",");
  return out;
}

export function wantsJson(ctx: HandlerContext<unknown>): boolean {
  return (ctx.headers["content-type"] ?? "").startsWith("application/json") || /application\/json/.test(ctx.headers.accept ?? "");
}
