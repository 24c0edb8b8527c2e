/** Hosts an http:// key source may name: this machine only (a test or a local issuer beside the server). */
const LOOPBACK_HOSTNAMES = ["127.0.0.1", "localhost", "[::1]"];

/** Where signing keys may be fetched from: https, or plain http on loopback only. */
export function isKeySourceUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTNAMES.includes(url.hostname));
  } catch {
    return false;
  }
}
