import type http from "node:http";

/**
 * Pages (the calling demo, the console) only work over HTTPS: the browser refuses `ws://` signaling and the camera
 * on a plain-HTTP page. On the HTTP listener a browser's GET for a page (it asks for text/html) is redirected to the
 * same path on the HTTPS listener; API clients (the SDKs never ask for HTML) are served as before.
 */
export function httpsRedirectFor(req: http.IncomingMessage, httpsPort: number): string | undefined {
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  const accept = req.headers.accept ?? "";
  if (!/\btext\/html\b/i.test(accept)) return undefined;
  const host = req.headers.host;
  if (host === undefined || !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d+)?$/i.test(host)) return undefined;
  const hostname = host.replace(/:\d+$/, "");
  return `https://${hostname}${httpsPort === 443 ? "" : `:${httpsPort}`}${req.url ?? "/"}`;
}

/** Wraps the HTTP listener's handler: page requests get a 308 to HTTPS, everything else goes to `handler`. */
export function withHttpsRedirect(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  httpsPort: () => number | undefined,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const port = httpsPort();
    const location = port === undefined ? undefined : httpsRedirectFor(req, port);
    if (location === undefined) return handler(req, res);
    res.writeHead(308, { location, "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(`This page is served over HTTPS: ${location}\n`);
  };
}
