/**
 * The permission table: every operation a management principal (access key or Entra ID) can call, and the RBAC
 * permission it needs. Access keys have every permission on their own resource; an Entra principal needs a role
 * assignment whose actions or dataActions match. An operation missing from this table is refused to Entra principals.
 *
 * Permission strings follow Azure's shape: `Microsoft.Communication/CommunicationServices/<area>/<verb>`, where the
 * verb is `read`, `write`, `delete` or `action`, so built-in roles can grant by wildcard (Reader: `*\/read`).
 */
const ACS = "Microsoft.Communication/CommunicationServices";

export const operationPermissions: Readonly<Record<string, string>> = {
  // --- identity ---
  "identity.create": `${ACS}/identities/write`,
  "identity.delete": `${ACS}/identities/delete`,
  "identity.issueAccessToken": `${ACS}/identities/issueAccessToken/action`,
  "identity.revokeAccessTokens": `${ACS}/identities/revokeAccessTokens/action`,
  "identity.introspectToken": `${ACS}/tokens/read`,
  "identity.exchangeTeamsUserToken": `${ACS}/identities/exchangeTeamsUserToken/action`,
  // --- calling ---
  "calling.listCalls": `${ACS}/calls/read`,
  "calling.getCall": `${ACS}/calls/read`,
};

export function permissionFor(operation: string): string | undefined {
  return operationPermissions[operation];
}
