import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";

export interface TlsMaterial {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
  generated: boolean;
}

/**
 * The operator's certificate if given, else a self-signed one in `<dataDir>/tls/` (made once, reused afterwards),
 * valid for 127.0.0.1, localhost and ::1 plus `hostnames` (the names a container is reached by, say). A generated
 * certificate that does not cover every requested name is made again. Clients trust it through NODE_EXTRA_CA_CERTS.
 */
export async function loadOrCreateTlsMaterial(options: {
  dataDir: string;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Extra DNS names or IP addresses for the generated certificate's subjectAltName. */
  hostnames?: readonly string[] | undefined;
}): Promise<TlsMaterial> {
  if (options.certFile !== undefined && options.keyFile !== undefined) {
    return {
      cert: readFileSync(options.certFile, "utf8"),
      key: readFileSync(options.keyFile, "utf8"),
      certPath: path.resolve(options.certFile),
      keyPath: path.resolve(options.keyFile),
      generated: false,
    };
  }
  const dir = path.join(options.dataDir, "tls");
  const certPath = path.join(dir, "cert.pem");
  const keyPath = path.join(dir, "key.pem");
  const extra = [...new Set((options.hostnames ?? []).map((h) => h.trim().toLowerCase()).filter((h) => h !== ""))];
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, "utf8");
    if (coversNames(cert, extra)) return { cert, key: readFileSync(keyPath, "utf8"), certPath, keyPath, generated: false };
  }
  // Loaded only when a certificate is made: CLI commands that open the store never pay for it.
  const { generate } = await import("selfsigned");
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: "commonName", value: "Switchboard development certificate" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 825 * 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
          ...extra.filter((h) => !["localhost", "127.0.0.1", "::1"].includes(h)).map((h) => (isIP(h) !== 0 ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })),
        ],
      },
    ],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { cert: pems.cert, key: pems.private, certPath, keyPath, generated: true };
}

/** Whether a PEM certificate's subjectAltName names every host (DNS name or IP address). */
function coversNames(pem: string, hosts: readonly string[]): boolean {
  if (hosts.length === 0) return true;
  const san = (new X509Certificate(pem).subjectAltName ?? "").split(", ").map((entry) => entry.replace(/^(DNS|IP Address):/, "").toLowerCase());
  return hosts.every((h) => san.includes(h));
}
