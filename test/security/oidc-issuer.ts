import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

/** A small OIDC issuer on loopback (discovery document and JWKS) that signs whatever claims a test asks for. */
export async function startOidcIssuer() {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "issuer-key-1", alg: "ES256", use: "sig" };
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader("content-type", "application/json");
    if (req.url === "/realms/test/.well-known/openid-configuration") {
      res.end(JSON.stringify({ issuer: `${base}/realms/test`, jwks_uri: `${base}/realms/test/certs` }));
    } else if (req.url === "/realms/test/certs") {
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
    sign: (claims: Record<string, unknown>) =>
      new SignJWT({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600, ...claims })
        .setProtectedHeader({ alg: "ES256", kid: "issuer-key-1" })
        .setIssuer(`${base}/realms/test`)
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
