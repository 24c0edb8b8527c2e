import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The status this receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Statuses to answer to the next Notification POSTs, in order (then 200). */
  failNext(...statuses: number[]): void;
  /** Every later Notification POST gets this status (undefined: 200). */
  alwaysAnswer(status: number | undefined): void;
  /** How the handshake is answered: correctly (default), wrongly, or not at all (404). */
  handshake: "echo" | "wrong" | "refuse";
  /** Notification POST bodies, parsed (each an array of events). */
  notifications(): ReceivedRequest[];
  close(): Promise<void>;
}

/** A local webhook on 127.0.0.1 that answers Event Grid's and CloudEvents' handshakes like a real subscriber. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const queued: number[] = [];
  let always: number | undefined;
  const receiver = {
    handshake: "echo" as WebhookReceiver["handshake"],
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const record = (status: number): void => {
        received.push({ method: req.method!, path: req.url!, headers: req.headers, body, status });
      };
      if (req.method === "OPTIONS") {
        if (receiver.handshake === "refuse") {
          record(404);
          res.writeHead(404).end();
          return;
        }
        record(200);
        res.writeHead(200, receiver.handshake === "echo" ? { "WebHook-Allowed-Origin": String(req.headers["webhook-request-origin"]) } : {}).end();
        return;
      }
      if (req.headers["aeg-event-type"] === "SubscriptionValidation") {
        const [event] = JSON.parse(body) as Array<{ data: { validationCode: string } }>;
        if (receiver.handshake === "refuse") {
          record(404);
          res.writeHead(404).end();
          return;
        }
        record(200);
        const code = receiver.handshake === "echo" ? event!.data.validationCode : "not-the-code";
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ validationResponse: code }));
        return;
      }
      const status = queued.shift() ?? always ?? 200;
      record(status);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/events`,
    received,
    failNext: (...statuses: number[]) => void queued.push(...statuses),
    alwaysAnswer: (status: number | undefined) => void (always = status),
    notifications: () => received.filter((r) => r.method === "POST" && r.headers["aeg-event-type"] !== "SubscriptionValidation"),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Polls until fn returns a value (not undefined/false) or the time runs out. */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
