import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Patterns that must never appear in a log line: JWTs, HMAC signatures, strings-to-sign, private keys. */
const FORBIDDEN_PATTERNS: Array<[string, RegExp]> = [
  ["a JWT", /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\./],
  ["an HMAC Authorization header", /HMAC-SHA256\s+SignedHeaders/i],
  ["a signature", /Signature=[A-Za-z0-9+/=]{20,}/],
  ["a string-to-sign", /(GET|POST|PUT|PATCH|DELETE)\\n\/[^"]*\\n[A-Z][a-z]{2}, \d{2} /],
  ["a private key", /PRIVATE KEY/],
  ["a client secret field", /"(client_secret|clientSecret|password)"\s*:\s*"(?!\[redacted\])/],
  // Sign-in secrets (src/idp/signin/secret-digest.ts): authorization codes, refresh tokens, session ids, device codes,
  // managed-identity headers; and the fields that would carry them.
  ["an authorization code", /sbc1\.[0-9a-f]{16}/],
  ["a refresh token", /sbr1\.[0-9a-f]{16}/],
  ["a session id", /sbs1\.[0-9a-f]{16}/],
  ["a device code", /sbd1\.[0-9a-f]{16}/],
  ["an identity header", /sbmi[0-9a-f]{16}/],
  ["a sign-in secret field", /"(refresh_token|device_code|code_verifier|identityHeader|x-identity-header|cookie)"\s*:\s*"/i],
];

export interface SecretFinding {
  file: string;
  what: string;
}

/** Scans log files for secret-shaped text and for the exact secrets given. */
export function scanLogs(files: string[], secrets: string[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const [what, pattern] of FORBIDDEN_PATTERNS) if (pattern.test(text)) findings.push({ file, what });
    for (const secret of secrets) if (secret.length >= 16 && text.includes(secret)) findings.push({ file, what: "a known secret" });
  }
  return findings;
}

/** Every server log of this test run and every access key the test servers had (written by test-server.ts). */
export function collectRun(logDir: string): { logs: string[]; secrets: string[] } {
  const entries = readdirSync(logDir);
  const logs = entries.filter((f) => f.endsWith(".log")).map((f) => path.join(logDir, f));
  const secrets = entries
    .filter((f) => f.startsWith("secrets-") && f.endsWith(".json"))
    .flatMap((f) => JSON.parse(readFileSync(path.join(logDir, f), "utf8")) as string[]);
  return { logs, secrets };
}

/** Records secrets a test obtained (codes, refresh tokens, cookies, headers) so the end-of-run scan looks for them. */
export function recordSecrets(secrets: string[]): void {
  const dir = process.env.SWITCHBOARD_TEST_LOG_DIR;
  if (dir === undefined) return;
  writeFileSync(path.join(dir, `secrets-${process.pid}-${randomUUID()}.json`), JSON.stringify(secrets.filter((s) => s.length >= 16)));
}
