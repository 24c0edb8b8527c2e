import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { flushRequestLines, requestLineWriter, type RequestLine } from "../../src/telemetry/request-line.js";

function capture(level = "info", sync?: boolean) {
  const lines: string[] = [];
  const destination = { write: (s: string) => void lines.push(s), ...(sync !== undefined ? { sync } : {}) };
  const log = createLogger(loadConfig({ overrides: { log: { level } } as never }), destination);
  return { log, lines };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const line: RequestLine = {
  reqId: "0b7c1f0e-1111-4444-8888-123456789abc",
  op: "identity.issueAccessToken",
  method: "POST",
  resource: "e8b3b5d0-0000-4000-8000-000000000001",
  auth: "access-key",
  principal: 'entra:"quoted"\nname\u2028',
  subjects: ["8:acs:e8b3b5d0-0000-4000-8000-000000000001_01a2b3c4-0000-7000-8000-000000000001"],
  fields: { scopes: ["chat", "voip"], expiresOn: "2026-12-07T22:00:00.000Z" },
  status: 200,
  code: undefined,
  ms: 1.23,
};

describe("the request log line (written without pino's generic path)", () => {
  it("is the line pino writes for the same fields: same keys, values and order, one line of JSON", () => {
    const viaPino = capture();
    viaPino.log.info(line, "request");
    const direct = capture();
    requestLineWriter(direct.log)(line);

    expect(direct.lines).toHaveLength(1);
    expect(direct.lines[0]!.endsWith("\n")).toBe(true);
    expect(direct.lines[0]!.trimEnd()).not.toContain("\n");
    const a = JSON.parse(viaPino.lines[0]!) as Record<string, unknown>;
    const b = JSON.parse(direct.lines[0]!) as Record<string, unknown>;
    expect(typeof b.time).toBe("number");
    expect(Math.abs((b.time as number) - (a.time as number))).toBeLessThan(60_000);
    delete a.time;
    delete b.time;
    expect(b).toEqual(a);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(b).toMatchObject({ level: 30, svc: "switchboard", msg: "request", principal: line.principal });
    expect(b).not.toHaveProperty("code");
  });

  it("censors an annotation named like a secret, as the logger's redaction does", () => {
    const viaPino = capture();
    const direct = capture();
    const leaky = { ...line, fields: { scopes: ["chat"], token: "eyJhbGciOi.secret.part", Secret: "s3cr3t" } };
    viaPino.log.info(leaky, "request");
    requestLineWriter(direct.log)(leaky);
    expect(direct.lines[0]).not.toContain("eyJhbGciOi");
    expect(direct.lines[0]).not.toContain("s3cr3t");
    expect(JSON.parse(direct.lines[0]!).fields).toEqual({ scopes: ["chat"], token: "[redacted]", Secret: "[redacted]" });
    expect(JSON.parse(viaPino.lines[0]!).fields.token).toBe("[redacted]");
    // The caller's object is left as it was.
    expect(leaky.fields.token).toBe("eyJhbGciOi.secret.part");
  });

  it("writes nothing when the configured level is above info", () => {
    const quiet = capture("warn");
    requestLineWriter(quiet.log)(line);
    quiet.log.warn("still written");
    expect(quiet.lines).toHaveLength(1);
    expect(JSON.parse(quiet.lines[0]!).msg).toBe("still written");
  });

  it("hands an asynchronous destination the lines of one turn as one write, in order, after the turn", async () => {
    const async = capture("info", false);
    const write = requestLineWriter(async.log);
    write({ ...line, reqId: "first" });
    write({ ...line, reqId: "second" });
    async.log.warn("not held back");
    expect(async.lines.map((l) => JSON.parse(l).msg)).toEqual(["not held back"]);
    await nextTurn();
    expect(async.lines).toHaveLength(2);
    expect(async.lines[1]!.split("\n").filter(Boolean).map((l) => JSON.parse(l).reqId)).toEqual(["first", "second"]);
    write({ ...line, reqId: "third" });
    await nextTurn();
    expect(async.lines).toHaveLength(3);
    expect(JSON.parse(async.lines[2]!).reqId).toBe("third");
  });

  it("writes a synchronous destination's line at once, and flushRequestLines hands over what waits for its turn", () => {
    const sync = capture("info", true);
    requestLineWriter(sync.log)(line);
    expect(sync.lines).toHaveLength(1);
    const async = capture("info", false);
    requestLineWriter(async.log)({ ...line, reqId: "closing" });
    expect(async.lines).toHaveLength(0);
    flushRequestLines();
    expect(async.lines.map((l) => JSON.parse(l).reqId)).toEqual(["closing"]);
  });
});
