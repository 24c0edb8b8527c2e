import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

/** What jose signs with (the issuer's own key, or a test's rogue one). */
type SigningKey = Parameters<SignJWT["sign"]>[0];

export const OIDC_ISSUER_KID = "issuer-key-1";

/**
 * A small OIDC issuer on loopback, standing in for a trusted external tenant (Entra, Keycloak): a discovery document
 * and a JWKS with one ES256 key, a count of JWKS fetches, and `sign` for whatever claims a test asks for.
 */
export async function startOidcIssuer() {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: OIDC_ISSUER_KID, alg: "ES256", use: "sig" };
  let jwksFetches = 0;
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader("content-type", "application/json");
    if (req.url === "/realms/test/.well-known/openid-configuration") {
      res.end(JSON.stringify({ issuer: `${base}/realms/test`, jwks_uri: `${base}/realms/test/certs`, token_endpoint: `${base}/realms/test/token` }));
    } else if (req.url === "/realms/test/certs") {
      jwksFetches++;
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: `${base}/realms/test`,
    discoveryUrl: `${base}/realms/test/.well-known/openid-configuration`,
    jwksUri: `${base}/realms/test/certs`,
    jwksFetches: () => jwksFetches,
    sign: (claims: Record<string, unknown>, key: SigningKey = privateKey, kid = OIDC_ISSUER_KID) =>
      new SignJWT({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600, ...claims })
        .setProtectedHeader({ alg: "ES256", kid })
        .setIssuer(`${base}/realms/test`)
        .sign(key),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type OidcIssuer = Awaited<ReturnType<typeof startOidcIssuer>>;
