import type { EntraPrincipals, PrincipalRecord } from "../entra-principals.js";
import { hashSecret, verifySecret } from "../secret-hash.js";
import type { AppRegistration, AppRegistrations } from "./app-registrations.js";
import { entraFail } from "../../errors/entra-errors.js";

export interface SigninClient {
  client: PrincipalRecord;
  app: AppRegistration;
  auth: "public" | "secret";
}

/** An application users may sign in to: an enabled service principal with an app registration. */
export async function findSigninApp(clientId: string | undefined, principals: EntraPrincipals, apps: AppRegistrations): Promise<{ client: PrincipalRecord; app: AppRegistration }> {
  if (clientId === undefined || clientId === "") entraFail("MissingParameter", "client_id");
  const client = await principals.findByClientId(clientId!);
  if (client === undefined || client.kind !== "service-principal") return entraFail("ApplicationNotFound", clientId!);
  if (!client.enabled) entraFail("ApplicationDisabled", clientId!);
  const app = await apps.get(clientId!);
  if (app === undefined) return entraFail("SigninNotConfigured", clientId!);
  return { client, app };
}

/** Token-endpoint client authentication of the user grants: a client secret, or nothing for a public client. */
export async function authenticateSigninClient(form: Record<string, string | undefined>, principals: EntraPrincipals, apps: AppRegistrations): Promise<SigninClient> {
  const { client, app } = await findSigninApp(form.client_id, principals, apps);
  if (form.client_secret !== undefined) {
    const check = await principals.checkClientSecret(client.clientId!, form.client_secret);
    if (!check.ok) entraFail("InvalidSigninClientSecret", client.clientId!);
    return { client, app, auth: "secret" };
  }
  if (form.client_assertion !== undefined) entraFail("SigninAssertionNotAccepted");
  if (!app.publicClient) entraFail("ClientCredentialMissing");
  return { client, app, auth: "public" };
}

let dummyHash: Promise<string> | undefined;

/**
 * The sign-in pages' password check. An unknown user name would otherwise be answered without computing a hash: a
 * dummy scrypt check runs beside every check, so both answers take about one scrypt.
 */
export async function checkSigninPassword(principals: EntraPrincipals, username: string, password: string, source = ""): Promise<PrincipalRecord | undefined> {
  dummyHash ??= hashSecret("switchboard-sign-in-timing-equalizer");
  const [user] = await Promise.all([
    principals.checkUserPassword(username, password, source),
    dummyHash.then((h) => verifySecret(password.slice(0, 1024), h, source)),
  ]);
  return user !== undefined && user.enabled ? user : undefined;
}
