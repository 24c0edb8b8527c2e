import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../src/auth/hmac/hmac-signature.js";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { backendNames } from "../support/backends.js";
import { signedFetch } from "../support/signed-fetch.js";
import type { TestServer } from "../support/test-server.js";
import { accessKey, API, CHAT_API, expectAcsError, newUser, rawRequest, startServer } from "./support.js";

/**
 * Sends the headers of a request announcing `declared` bytes, then up to `send` bytes of body, and resolves with
 * the status line's code and how many body bytes the server let through before answering.
 */
function announce(url: string, headers: Record<string, string>, declared: number, send: number): Promise<{ status: number; sent: number }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    let sent = 0;
    let answer = "";
    const timer = setTimeout(() => socket.destroy(new Error("no answer")), 15_000);
    socket.on("error", () => undefined); // the server may close while we still write: expected
    socket.on("data", (d: Buffer) => {
      answer += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (m !== null) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(m[1]), sent });
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      if (!/^HTTP\/1\.1 \d{3}/.test(answer)) reject(new Error(`closed without an answer after ${sent} bytes`));
    });
    const lines = Object.entries({ host: u.host, ...headers, "content-length": String(declared) }).map(([k, v]) => `${k}: ${v}`);
    socket.write(`POST ${u.pathname}${u.search} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (sent < send && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
    };
    pump();
  });
}

/** Flaw 2: per-route body limits (413 in the ACS shape) and credentials checked before a large body is read. */
describe.each(backendNames)("request bodies (%s)", (backend) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer(backend);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("anonymous 30 MB POSTs are refused before their bodies are read, without growing the server", async () => {
    const rssBefore = process.memoryUsage().rss;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => announce(`${srv.httpUrl}/identities?${API}`, { "content-type": "application/json" }, 30 * 1024 * 1024, 30 * 1024 * 1024)),
    );
    for (const r of results) expect(r.status).toBe(401);
    const growthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    expect(growthMb).toBeLessThan(64);
  });

  it("a forged HMAC signature on a large body is refused before the body is read", async () => {
    const url = new URL(`${srv.httpUrl}/identities?${API}`);
    const headers = signRequest({ method: "POST", url, body: "x".repeat(100_000), accessKey: Buffer.alloc(32, 7).toString("base64") });
    const r = await announce(url.href, { ...headers, "content-type": "application/json" }, 100_000, 0);
    expect(r.status).toBe(401);
  });

  it("a genuine signature with a large body that does not match its hash is refused as the body streams in", async () => {
    const url = new URL(`${srv.httpUrl}/identities?${API}`);
    const headers = signRequest({ method: "POST", url, body: "y".repeat(100_000), accessKey: accessKey(srv) });
    const res = await rawRequest(url.href, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "x".repeat(100_000) });
    expectAcsError(res, 401, "ContentHashMismatch");
    // Refused while streaming (the pre-read check closes the connection; the post-read one would keep it).
    expect(res.headers.connection).toBe("close");
  });

  it("identity, SMS and chat bodies over 512 KiB are 413 in the ACS shape, even when properly signed", async () => {
    const big = JSON.stringify({ pad: "z".repeat(600 * 1024) });
    for (const path of [`/identities?${API}`, "/sms?api-version=2021-03-07"]) {
      const res = await signedFetch(`${srv.httpUrl}${path}`, { method: "POST", accessKey: accessKey(srv), body: big });
      expectAcsError(res, 413, "RequestEntityTooLarge");
    }
    const { token } = await newUser(srv, ["chat"]);
    const res = await rawRequest(`${srv.httpsUrl}/chat/threads?${CHAT_API}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: big,
    });
    expectAcsError(res, 413, "RequestEntityTooLarge");
  });

  it("e-mail takes attachments up to the configured message size (10 MB), and refuses more with 413", async () => {
    const sender = `DoNotReply@${managedDomainOf(srv.resource.id)}`;
    const mail = (bytes: number) => ({
      senderAddress: sender,
      content: { subject: "s", plainText: "p" },
      recipients: { to: [{ address: "a@example.com" }] },
      attachments: [{ name: "a.pdf", contentType: "application/pdf", contentInBase64: Buffer.alloc(bytes, 1).toString("base64") }],
    });
    const ok = await signedFetch(`${srv.httpUrl}/emails:send?api-version=2025-09-01`, { method: "POST", accessKey: accessKey(srv), body: mail(3 * 1024 * 1024) });
    expect(ok.status).toBe(202);
    const tooBig = await signedFetch(`${srv.httpUrl}/emails:send?api-version=2025-09-01`, { method: "POST", accessKey: accessKey(srv), body: mail(11 * 1024 * 1024) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toMatch(/^(RequestEntityTooLarge|EmailTooLarge)$/);
  });
});
