import type { Store } from "../../store/store.js";
import { AppRegistrationRepository } from "./signin-repository.js";
import type { Clock } from "../../util/clock.js";

/** How a service principal works as an application users sign in to. */
export interface AppRegistration {
  clientId: string;
  /** No secret: PKCE is required, and the token endpoint takes the client id alone. */
  publicClient: boolean;
  redirectUris: string[];
  /** Scope names requestable as `api://<clientId>/<name>`. */
  exposedScopes: string[];
}

const SCOPE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** A redirect URI must be absolute, without a fragment, https or http on loopback (as Entra ID allows). */
export function checkRedirectUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`redirect URI '${value}' is not an absolute URL`);
  }
  if (url.hash !== "") throw new Error(`redirect URI '${value}' must not have a fragment`);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(`redirect URI '${value}' must be https (http only on localhost/127.0.0.1)`);
  }
  if (value.length > 2000) throw new Error("a redirect URI has at most 2000 characters");
  return value;
}

export function checkScopeName(value: string): string {
  if (!SCOPE_NAME.test(value)) throw new Error(`scope name '${value}' must be 1 to 100 letters, digits, '_', '.' or '-'`);
  return value;
}

/** Redirect URIs, public-client flag and exposed scopes of applications (table idp_app_registrations). */
export class AppRegistrations {
  private readonly repository: AppRegistrationRepository;

  constructor(
    store: Store,
    private readonly clock: Clock,
  ) {
    this.repository = new AppRegistrationRepository(store);
  }

  async get(clientId: string): Promise<AppRegistration | undefined> {
    const row = await this.repository.find(clientId);
    if (row === undefined) return undefined;
    return {
      clientId: row.client_id,
      publicClient: Number(row.public_client) === 1,
      redirectUris: JSON.parse(row.redirect_uris) as string[],
      exposedScopes: JSON.parse(row.exposed_scopes) as string[],
    };
  }

  /** Every registered redirect URI (the sign-out endpoint returns only to one of them). */
  async allRedirectUris(): Promise<Set<string>> {
    const lists = await this.repository.redirectUriLists();
    return new Set(lists.flatMap((list) => JSON.parse(list) as string[]));
  }

  async save(app: AppRegistration): Promise<AppRegistration> {
    const redirectUris = [...new Set(app.redirectUris.map(checkRedirectUri))];
    const exposedScopes = [...new Set(app.exposedScopes.map(checkScopeName))];
    const values = {
      client_id: app.clientId,
      public_client: app.publicClient ? 1 : 0,
      redirect_uris: JSON.stringify(redirectUris),
      exposed_scopes: JSON.stringify(exposedScopes),
      updated_at: this.clock.now(),
    };
    await this.repository.save(values);
    return { clientId: app.clientId, publicClient: app.publicClient, redirectUris, exposedScopes };
  }
}
