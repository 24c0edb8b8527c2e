import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { nextTurn } from "../../src/http/turn.js";

describe("nextTurn", () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    if (server !== undefined) await new Promise((r) => server!.close(r));
    server = undefined;
  });

  it("resolves in a later phase of the loop, not among the microtasks of the caller", async () => {
    let resolved = false;
    const turn = nextTurn().then(() => (resolved = true));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(resolved).toBe(false);
    await turn;
    expect(resolved).toBe(true);
  });

  it("gives every caller of one turn the same wait, and the next turn a new one", async () => {
    const first = nextTurn();
    expect(nextTurn()).toBe(first);
    await first;
    const second = nextTurn();
    expect(second).not.toBe(first);
    await second;
  });

  it("lets requests that arrive on different connections in one pass be read before any is handled", async () => {
    const events: string[] = [];
    server = http.createServer(async (req, res) => {
      const name = req.url!.slice(1);
      events.push(`read ${name}`);
      await nextTurn();
      events.push(`handled ${name}`);
      res.end(name);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    let accepted = 0;
    const bothAccepted = new Promise<void>((resolve) => server!.on("connection", () => ++accepted === 2 && resolve()));
    const sockets = [net.connect(port, "127.0.0.1"), net.connect(port, "127.0.0.1")];
    await Promise.all(sockets.map((s) => once(s, "connect")));
    await bothAccepted;
    // Written in one tick: on loopback both requests are in the server's socket buffers before its next poll.
    sockets.forEach((s, i) => s.write(`GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
    await Promise.all(sockets.map((s) => once(s, "data")));
    sockets.forEach((s) => s.destroy());
    expect(events).toEqual(["read 0", "read 1", "handled 0", "handled 1"]);
  });
});
