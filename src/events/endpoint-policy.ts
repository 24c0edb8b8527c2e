import { isIP } from "node:net";
import { EventsInputError } from "./events-error.js";

/** Cloud instance-metadata endpoints: never a webhook, whatever the configuration says. */
const METADATA_HOSTS = new Set(["metadata.google.internal", "metadata", "metadata.azure.internal", "instance-data", "100.100.100.200", "fd00:ec2::254"]);

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1).toLowerCase() : host.toLowerCase();
}

/** An IPv4-mapped IPv6 address (`::ffff:a9fe:a9fe`, as URL normalizes `::ffff:169.254.169.254`) as its IPv4 form. */
function unmapped(host: string): string {
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (hex !== null) {
    const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  return dotted !== null ? dotted[1]! : host;
}

function isLinkLocal(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith("169.254.");
  if (isIP(host) === 6) return /^fe[89ab]/i.test(host) || /^::ffff:169\.254\./i.test(host);
  return false;
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || /^::ffff:127\./i.test(host);
}

/**
 * Checks a webhook endpoint: http(s), no credentials in it, loopback always allowed, other hosts only when listed in
 * `allowedHosts`, link-local and metadata addresses (169.254.169.254 and friends) never. Returns the normalized URL.
 */
export function checkEndpoint(raw: string, allowedHosts: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EventsInputError("InvalidEndpoint", "The endpoint must be an absolute http:// or https:// URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new EventsInputError("InvalidEndpoint", "The endpoint must be an http:// or https:// URL.");
  if (url.username !== "" || url.password !== "") throw new EventsInputError("InvalidEndpoint", "The endpoint must not carry credentials.");
  const host = unmapped(unbracket(url.hostname));
  if (METADATA_HOSTS.has(host) || isLinkLocal(host)) throw new EventsInputError("EndpointNotAllowed", `${host} is a metadata or link-local address and is never a webhook.`);
  if (isLoopback(host)) return url.toString();
  if (allowedHosts.some((h) => unbracket(h) === host)) return url.toString();
  throw new EventsInputError("EndpointNotAllowed", `${host} is not loopback and not in events.allowedHosts.`);
}
