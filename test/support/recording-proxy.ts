import { readFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";

/**
 * An HTTPS pass-through in front of a test server that notes the method and path+query of every request: it shows
 * what an SDK release really sends (api-version above all), whatever HTTP stack the release uses (core-http or
 * core-rest-pipeline). The Host header is forwarded unchanged, so HMAC signatures still verify.
 */
export interface RecordingProxy {
  url: string;
  /** `METHOD /path?query` of each request since the last take(), in order. */
  take(): string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(targetHttpsUrl: string): Promise<RecordingProxy> {
  const target = new URL(targetHttpsUrl);
  let seen: string[] = [];
  const server = https.createServer(
    { cert: readFileSync(process.env.SWITCHBOARD_TEST_TLS_CERT!), key: readFileSync(process.env.SWITCHBOARD_TEST_TLS_KEY!) },
    (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const upstream = https.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    take() {
      const out = seen;
      seen = [];
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The api-version values of recorded requests (a duplicated parameter counts once per request). */
export function apiVersionsOf(requests: string[]): string[] {
  return requests.map((r) => new URL(r.slice(r.indexOf(" ") + 1), "https://x").searchParams.get("api-version") ?? "(none)");
}
