import http from "node:http";
import { signRequest } from "../../src/auth/hmac/hmac-signature.js";
import type { Resource } from "../../src/resources/resource.js";
import { afterAll, beforeAll } from "vitest";
import type { BackendName } from "../support/backends.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import type { Capabilities } from "../../src/phone-numbers/inventory.js";
import { signedFetch } from "../support/signed-fetch.js";

/** Buys numbers for a resource through the service (the SDK path is covered by phone-numbers-sdk.test.ts). */
export async function buyNumbers(
  srv: TestServer,
  options: { countryCode?: string; phoneNumberType?: string; assignmentType?: string; capabilities?: Capabilities; quantity?: number; resource?: Resource } = {},
): Promise<string[]> {
  const service = srv.server.core.messaging.phoneNumbers;
  const resource = options.resource ?? srv.currentResource();
  const { searchId } = await service.search(resource, {
    countryCode: options.countryCode ?? "US",
    phoneNumberType: options.phoneNumberType ?? "tollFree",
    assignmentType: options.assignmentType ?? "application",
    capabilities: options.capabilities ?? { calling: "none", sms: "inbound+outbound" },
    quantity: options.quantity ?? 1,
  });
  const { numbers } = await service.purchaseSearch(resource, searchId);
  return numbers;
}

/** The outbox of the test server's default resource through the authenticated API. */
export async function readOutbox(srv: TestServer, query = ""): Promise<any[]> {
  const res = await signedFetch(`${srv.httpUrl}/outbox${query}`, { accessKey: srv.currentResource().keys.primary.value });
  if (res.status !== 200) throw new Error(`outbox: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.value;
}

export function api(srv: TestServer, path: string, apiVersion: string): string {
  return `${srv.httpUrl}${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersion}`;
}

/** A signed request with an explicit Host header, to reach a second resource (fetch cannot choose Host). */
export function requestWithHost(
  port: number,
  host: string,
  accessKey: string,
  method: string,
  pathAndQuery: string,
  body = "",
): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  const headers = signRequest({ method, url: new URL(`http://${host}${pathAndQuery}`), body, accessKey });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method, path: pathAndQuery, headers: { ...headers, host, "content-type": "application/json" } },
      (res) => {
        let data = "";
        res.on("data", (d) => (data += d));
        res.on("end", () => resolve({ status: res.statusCode!, body: data === "" ? undefined : JSON.parse(data), headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** What `smsServer` holds once its beforeAll has run. */
export interface SmsServer {
  srv: TestServer;
  /** The first purchased number: an SMS sender of the default resource. */
  sender: string;
  /** The default resource's primary access key. */
  key: string;
}

/**
 * One test server per describe block with purchased SMS numbers (beforeAll/afterAll registered here). The returned
 * object is filled in by the beforeAll.
 */
export function smsServer(backend: BackendName): SmsServer {
  const held = {} as SmsServer;
  beforeAll(async () => {
    held.srv = await startTestServer({ backend });
    [held.sender] = (await buyNumbers(held.srv)) as [string];
    held.key = held.srv.currentResource().keys.primary.value;
  });
  afterAll(async () => {
    await held.srv?.close();
  });
  return held;
}
