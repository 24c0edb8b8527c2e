// The container's HEALTHCHECK: exit 0 when /health/ready answers 200 on the HTTP listener (or, with the HTTP
// listener off, on HTTPS without checking the self-signed certificate). No curl in the runtime image.
import http from "node:http";
import https from "node:https";

const httpPort = process.env.SWITCHBOARD_HTTP_PORT ?? "8080";
const url = httpPort === "off" ? `https://127.0.0.1:${process.env.SWITCHBOARD_PORT ?? "8443"}/health/ready` : `http://127.0.0.1:${httpPort}/health/ready`;
const client = url.startsWith("https:") ? https : http;
const req = client.get(url, { rejectUnauthorized: false, timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error("timeout")));
req.on("error", () => process.exit(1));
