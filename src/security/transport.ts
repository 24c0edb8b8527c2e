import { BlockList, isIP, Socket } from "node:net";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

/**
 * The configured reverse proxies (addresses or CIDR ranges). Only a connection from one of them may say, through
 * X-Forwarded-Proto and X-Forwarded-For, that the client used HTTPS or who the client was.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;
  /**
   * Answers by address: BlockList.check builds a SocketAddress per call (~4 µs, every request behind a proxy), and the
   * addresses a server sees are few. The list never changes, so an answer never goes stale; the map is emptied when
   * it reaches its bound.
   */
  private readonly answers = new Map<string, boolean>();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split("/");
      const family = isIP(address!) === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) this.list.addAddress(address!, family);
      else this.list.addSubnet(address!, Number(prefix), family);
    }
    this.empty = entries.length === 0;
  }

  has(address: string | undefined): boolean {
    if (address === undefined || this.empty) return false;
    let answer = this.answers.get(address);
    if (answer === undefined) {
      answer = this.check(address);
      if (this.answers.size >= MAX_REMEMBERED_ADDRESSES) this.answers.clear();
      this.answers.set(address, answer);
    }
    return answer;
  }

  private check(address: string): boolean {
    const plain = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 6 ? "ipv6" : "ipv4");
  }
}

const MAX_REMEMBERED_ADDRESSES = 1024;

function lastHeaderValue(raw: IncomingMessage, name: string): string | undefined {
  const v = raw.headers[name];
  const text = Array.isArray(v) ? v.join(",") : v;
  if (text === undefined) return undefined;
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  return parts[parts.length - 1];
}

/** The connection is TLS, or it comes from a trusted proxy that says the client used HTTPS. */
export function isSecureRequest(raw: IncomingMessage, proxies: TrustedProxies): boolean {
  if ((raw.socket as TLSSocket).encrypted === true) return true;
  // fastify's in-process inject() has no network socket: nothing crosses a wire.
  if (!(raw.socket instanceof Socket)) return true;
  if (!proxies.has(raw.socket.remoteAddress)) return false;
  return lastHeaderValue(raw, "x-forwarded-proto")?.toLowerCase() === "https";
}

/**
 * The address of the client: the TCP peer, or, when the peer is a trusted proxy, the right-most X-Forwarded-For
 * entry that is not itself a trusted proxy. Never a value a client could choose by sending the header itself.
 */
export function realPeer(raw: IncomingMessage, proxies: TrustedProxies): string | undefined {
  let peer = raw.socket.remoteAddress;
  if (!proxies.has(peer)) return peer;
  const v = raw.headers["x-forwarded-for"];
  const chain = (Array.isArray(v) ? v.join(",") : (v ?? "")).split(",").map((p) => p.trim()).filter((p) => p !== "");
  while (chain.length > 0 && proxies.has(peer)) peer = chain.pop();
  // A trusted proxy that forwarded without naming the client: the client is unknown, not the proxy.
  return proxies.has(peer) ? undefined : peer;
}
