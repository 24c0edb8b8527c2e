import https from "node:https";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Resource } from "./resource.js";
import type { ResourceRegistry } from "./resource-registry.js";

interface Listener {
  server: https.Server;
  port: number;
}

/**
 * One HTTPS listener per resource other than the default one (docs/management.md): the SDKs need the API at the root of
 * an endpoint, and `*.localhost` names do not resolve everywhere, so on one machine a resource is told apart by its
 * port. Follows the registry: a created resource gets a listener, a deleted one loses it (on every replica).
 */
export class ResourceListeners {
  private readonly listeners = new Map<string, Listener>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly options: {
      host: string;
      tls: { cert: string; key: string };
      handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
      log: Logger;
      /** Called with each new listener (the calling signaling server attaches to it). */
      onServer?: (server: https.Server) => void;
    },
  ) {}

  start(): Promise<void> {
    this.registry.onLoad((resources) => this.sync(resources));
    this.sync(this.registry.all());
    return this.settled();
  }

  /** Resolves when every listener the last registry load asked for is bound (or has failed). */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.queue;
      await current;
    } while (current !== this.queue);
  }

  portOf(resourceId: string): number | undefined {
    return this.listeners.get(resourceId)?.port;
  }

  private sync(resources: Resource[]): void {
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      const wanted = new Map(resources.filter((r) => !r.isDefault).map((r) => [r.id, r]));
      for (const [id, listener] of [...this.listeners]) {
        if (wanted.has(id)) continue;
        this.listeners.delete(id);
        this.registry.unbindPort(listener.port);
        await closeServer(listener.server);
      }
      for (const r of wanted.values()) {
        if (this.listeners.has(r.id)) continue;
        try {
          const listener = await this.open(r);
          this.listeners.set(r.id, listener);
          this.registry.bindPort(listener.port, r.id);
        } catch (err) {
          this.options.log.warn({ resource: r.name, port: r.port, err: { message: (err as Error).message } }, "resource listener could not start");
        }
      }
    });
  }

  private open(r: Resource): Promise<Listener> {
    const server = https.createServer({ cert: this.options.tls.cert, key: this.options.tls.key }, this.options.handler);
    server.keepAliveTimeout = 72_000;
    server.headersTimeout = 75_000;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(r.port ?? 0, this.options.host, () => {
        server.off("error", reject);
        this.options.onServer?.(server);
        resolve({ server, port: (server.address() as AddressInfo).port });
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    await Promise.all([...this.listeners.values()].map((l) => closeServer(l.server)));
    this.listeners.clear();
  }
}

function closeServer(server: https.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
