import type { KeyName } from "../resources/resource.js";

/** A user access token scope (CommunicationIdentityTokenScope). */
export const USER_SCOPES = ["chat", "voip", "chat.join", "chat.join.limited", "voip.join"] as const;
export type UserScope = (typeof USER_SCOPES)[number];

export function isUserScope(value: unknown): value is UserScope {
  return typeof value === "string" && (USER_SCOPES as readonly string[]).includes(value);
}

/** Who is making a request, as established by one authenticator. */
export type Principal =
  | { kind: "access-key"; resourceId: string; keyName: KeyName; keyId: string }
  | {
      kind: "user";
      resourceId: string;
      identity: string;
      scopes: UserScope[];
      tokenId: string;
      /** Epoch seconds. */
      expiresAt: number;
    }
  | {
      /** The operator acting through the CLI or the admin API on the server's own store. */
      kind: "operator";
      name: string;
    }
  | {
      /** An Entra ID (or trusted OIDC issuer) bearer: a service principal or a signed-in user. */
      kind: "entra";
      issuer: string;
      objectId: string;
      tenantId: string | undefined;
      appId: string | undefined;
      principalType: "service-principal" | "user";
      displayName: string | undefined;
    };

/** The principal as it appears in logs and activity records: never a secret. */
export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case "access-key":
      return `key:${p.keyName}`;
    case "user":
      return p.identity;
    case "operator":
      return `operator:${p.name}`;
    case "entra":
      return `${p.principalType === "user" ? "entra-user" : "sp"}:${p.objectId}`;
  }
}
