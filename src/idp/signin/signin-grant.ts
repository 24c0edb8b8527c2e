import type { Reply } from "../../http/route.js";
import type { EntraPrincipals, PrincipalRecord } from "../entra-principals.js";
import type { AppRegistrations } from "./app-registrations.js";
import { entraFail } from "../../errors/entra-errors.js";
import type { UserTokenDeps } from "./user-token-response.js";

export type TokenForm = Record<string, string | undefined>;

/** A grant of the token endpoint beyond client_credentials and password; one file per grant. */
export type SigninGrant = (
  form: TokenForm,
  request: { issuer: string; tenantId: string; origin?: string | undefined; annotate(fields: Record<string, string>): void; setSubject(s: string): void },
) => Promise<Reply>;

export interface SigninGrantDeps extends UserTokenDeps {
  principals: EntraPrincipals;
  apps: AppRegistrations;
}

/** The signed-in user must still exist and be enabled when a code or refresh token is redeemed. */
export async function requireUser(principals: EntraPrincipals, objectId: string): Promise<PrincipalRecord> {
  const user = await principals.find(objectId);
  if (user === undefined || user.kind !== "user") return entraFail("UserNotFound");
  if (!user.enabled) entraFail("UserDisabled");
  return user;
}
