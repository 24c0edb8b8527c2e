import { ClientCertificateCredential, ClientSecretCredential, DefaultAzureCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ACS_SCOPE, createSp, decodeClaims, driveIdentityApi as driveIdentityClient, type CreatedSp } from "./entra-support.js";

/** Every Identity operation through the official client with an Entra credential. */
function driveIdentityApi(srv: TestServer, credential: TokenCredential): Promise<void> {
  return driveIdentityClient(srv, new CommunicationIdentityClient(`${srv.httpsUrl}/`, credential));
}

describe.each(backendNames)("@azure/identity credentials against the built-in authority (%s)", (backend) => {
  let srv: TestServer;
  let secretSp: CreatedSp;
  let certSp: CreatedSp;
  beforeAll(async () => {
    srv = await startTestServer({ backend });
    secretSp = await createSp(srv, "secret-app", ["--role", "Contributor", "--authority-host", srv.httpsUrl]);
    certSp = await createSp(srv, "cert-app", ["--role", "Contributor", "--cert"]);
  });
  afterAll(async () => {
    await srv.close();
  });

  it("sp create --json prints exactly tenantId, clientId, objectId, clientSecret/certificatePath and authorityHost", () => {
    expect(Object.keys(secretSp).sort()).toEqual(["authorityHost", "clientId", "clientSecret", "objectId", "tenantId"]);
    expect(Object.keys(certSp).sort()).toEqual(["authorityHost", "certificatePath", "clientId", "objectId", "tenantId"]);
    expect(secretSp.authorityHost).toBe(srv.httpsUrl);
    expect(secretSp.tenantId).toBe(srv.server.core.entra.keys.tenantId);
  });

  it("ClientSecretCredential drives every Identity operation; the token's oid is the principal's objectId", async () => {
    const credential = new ClientSecretCredential(secretSp.tenantId, secretSp.clientId, secretSp.clientSecret!, {
      authorityHost: srv.httpsUrl,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken(ACS_SCOPE);
    const claims = decodeClaims(token.token);
    expect(claims).toMatchObject({
      oid: secretSp.objectId,
      sub: secretSp.objectId,
      appid: secretSp.clientId,
      azp: secretSp.clientId,
      tid: secretSp.tenantId,
      iss: `${srv.httpsUrl}/${secretSp.tenantId}/v2.0`,
      aud: "https://communication.azure.com",
      idtyp: "app",
    });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
    await driveIdentityApi(srv, credential);
  });

  it("ClientCertificateCredential (client_assertion signed with the generated certificate) drives every Identity operation", async () => {
    const credential = new ClientCertificateCredential(certSp.tenantId, certSp.clientId, certSp.certificatePath!, {
      authorityHost: srv.httpsUrl,
      disableInstanceDiscovery: true,
    });
    expect(decodeClaims((await credential.getToken(ACS_SCOPE)).token).oid).toBe(certSp.objectId);
    await driveIdentityApi(srv, credential);
  });

  it("ClientCertificateCredential with sendCertificateChain (x5c in the header) still uses the registered certificate", async () => {
    const credential = new ClientCertificateCredential(certSp.tenantId, certSp.clientId, certSp.certificatePath!, {
      authorityHost: srv.httpsUrl,
      disableInstanceDiscovery: true,
      sendCertificateChain: true,
    });
    expect(decodeClaims((await credential.getToken(ACS_SCOPE)).token).oid).toBe(certSp.objectId);
    // Another principal's certificate is refused for this client id.
    const other = new ClientCertificateCredential(secretSp.tenantId, secretSp.clientId, certSp.certificatePath!, {
      authorityHost: srv.httpsUrl,
      disableInstanceDiscovery: true,
    });
    await expect(other.getToken(ACS_SCOPE)).rejects.toThrow(/AADSTS700027/);
  });

  it("DefaultAzureCredential from the AZURE_* environment drives every Identity operation", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AZURE_TENANT_ID: secretSp.tenantId,
      AZURE_CLIENT_ID: secretSp.clientId,
      AZURE_CLIENT_SECRET: secretSp.clientSecret!,
      AZURE_AUTHORITY_HOST: secretSp.authorityHost,
    });
    try {
      const credential = new DefaultAzureCredential({ disableInstanceDiscovery: true } as never);
      await driveIdentityApi(srv, credential);
    } finally {
      for (const k of ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it("a wrong client secret is refused in the Entra error shape", async () => {
    const res = await fetch(`${srv.httpsUrl}/${secretSp.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: secretSp.clientId, client_secret: "nope~nope", scope: ACS_SCOPE }),
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: "invalid_client", error_codes: [7000215] });
    expect(String(body.error_description)).toMatch(/^AADSTS7000215: /);
  });
});
