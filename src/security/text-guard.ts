import { AcsError } from "../errors/acs-errors.js";

/** NUL, or a UTF-16 surrogate without its pair (text that has no UTF-8 form). */
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_DEPTH = 64;

/** True if the string could not be stored as is by both backends (PostgreSQL refuses NUL in text). */
export function isBadText(value: string): boolean {
  return BAD_TEXT.test(value);
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A request body that is meant as text must be valid UTF-8. */
export function isValidUtf8(bytes: Buffer): boolean {
  try {
    fatalUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function badPath(value: unknown, depth: number, path: string): string | undefined {
  if (typeof value === "string") return isBadText(value) ? path || "body" : undefined;
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = badPath(value[i], depth + 1, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const key = path === "" ? k : `${path}.${k}`;
    if (isBadText(k)) return key;
    const found = badPath(v, depth + 1, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Every string of a request that may reach the store (path parameters, query parameters, the parsed body: ids,
 * display names, topics, metadata …) is checked at the edge, the same way for SQLite and PostgreSQL.
 */
export function refuseBadText(parts: { params?: unknown; query?: unknown; body?: unknown }): void {
  const where: Array<[keyof typeof parts, string]> = [
    ["params", "path"],
    ["query", "query"],
    ["body", "body"],
  ];
  for (const [part, label] of where) {
    const found = badPath(parts[part], 0, "");
    if (found !== undefined) {
      throw new AcsError("InvalidCharacter", `The ${label} (${found}) contains a NUL character or text that is not valid UTF-8.`, {
        target: found,
      });
    }
  }
}
