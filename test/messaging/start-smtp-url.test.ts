import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { EmailClient } from "@azure/communication-email";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliInProcess, startCliServer, type CliServer } from "../support/cli.js";

describe("switchboard start --smtp-url", () => {
  let smtp: SMTPServer;
  let server: CliServer;
  const dataDir = mkdtempSync(path.join(tmpdir(), "switchboard-smtp-"));
  const mails: Array<{ to: string[]; raw: string }> = [];
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (d: Buffer) => (raw += d.toString("utf8")));
        stream.on("end", () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    server = await startCliServer(["--data-dir", dataDir, "--smtp-url", `smtp://127.0.0.1:${port}?ignoreTLS=true`]);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it("relays e-mail sent to the started server; the CLI lists it in the outbox", async () => {
    const cs = /primary\s+\(HTTP\):\s+(endpoint=\S+)/.exec(server.banner)![1]!;
    const senders = JSON.parse((await runCliInProcess(["email", "senders", "--json", "--data-dir", dataDir])).stdout) as string[];
    const client = new EmailClient(cs, { allowInsecureConnection: true });
    const result = await (
      await client.beginSend({ senderAddress: senders[0]!, content: { subject: "From the CLI server", plainText: "relayed" }, recipients: { to: [{ address: "ops@example.com" }] } })
    ).pollUntilDone();
    expect(result.status).toBe("Succeeded");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(["ops@example.com"]);
    expect(mails[0]!.raw).toMatch(/^Subject: From the CLI server\r?$/m);
    const listed = JSON.parse((await runCliInProcess(["outbox", "list", "--json", "--kind", "email", "--data-dir", dataDir])).stdout);
    expect(listed[0]).toMatchObject({ id: result.id, kind: "email", subject: "From the CLI server", to: ["ops@example.com"], status: "Succeeded", relayed: true });
  }, 60_000);
});
