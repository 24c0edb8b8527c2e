/**
 * The key role assignments are stored and looked up by. A principal of the built-in authority is its object id (the
 * authority has one tenant); a principal of a trusted external issuer is `<issuer> <object id>`, so no issuer can
 * name an object id that inherits another issuer's (or a built-in principal's) roles.
 */
export function rolePrincipalKey(objectId: string, externalIssuer?: string): string {
  return externalIssuer === undefined ? objectId : `${externalIssuer} ${objectId}`;
}
