import { Worker } from "node:worker_threads";

/** One parameterised statement, as Kysely compiles it (only what crosses the thread boundary). */
export interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

export interface SqliteWriterOptions {
  /** PRAGMA synchronous of the writer's connection (FULL, NORMAL). */
  synchronous: string;
  busyTimeoutMs: number;
  /** SQLite's page cache of the thread's connection, in KiB (`PRAGMA cache_size = -N`); unset: the build's default. */
  cacheSizeKib?: number;
  /** Scheduling priority (nice, -20…19) of the thread, for background writes; best effort, Linux only. */
  nice?: number;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

type Reply = { id: number; changes: number[] } | { id: number; value: unknown } | { id: number; error: string };

/**
 * Writes to one SQLite file from a worker thread, so that inserting, updating the indexes and committing cost the
 * request thread nothing but a postMessage. Each run() is one transaction and resolves, with the rows each
 * statement changed, once it is committed (durable per `synchronous`). The thread starts on the first write (so
 * read-only CLI commands never start it); if it dies, the writes in flight are reported failed (one may have
 * committed just before) and the next write starts a new thread.
 * The thread keeps the process alive only while writes are in flight.
 */
export class SqliteWriterThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly file: string,
    private readonly options: SqliteWriterOptions,
  ) {}

  run(statements: readonly Statement[]): Promise<number[]> {
    // Only the text and the values cross the boundary (a CompiledQuery also carries Kysely's syntax tree).
    return this.send<number[]>({ statements: statements.map((s) => ({ sql: s.sql, parameters: s.parameters })) });
  }

  /** The value of one PRAGMA on the thread's connection (`cache_size`, `synchronous`): what it really runs with. */
  pragma(name: "cache_size" | "synchronous" | "journal_mode" | "busy_timeout"): Promise<unknown> {
    return this.send<unknown>({ pragma: name });
  }

  private send<T>(message: { statements: Statement[] } | { pragma: string }): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the SQLite writer thread is closed"));
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, ...message });
    });
  }

  /** Waits for the writes in flight, then stops the thread and closes its connection. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.ref();
    worker.postMessage("close");
    await exited;
  }

  /** Called whenever no write is in flight any more. */
  private becameIdle(worker: Worker): void {
    worker.unref();
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL("./sqlite-writer-worker.cjs", import.meta.url), {
      workerData: { ...this.options, file: this.file },
    });
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const pending = this.pending.get(reply.id);
      if (pending === undefined) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.becameIdle(worker);
      if ("error" in reply) pending.reject(new Error(reply.error));
      else pending.resolve("changes" in reply ? reply.changes : reply.value);
    });
    // A thread that fails to start or crashes takes its writes in flight with it; the next write starts a new one.
    const fail = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const p of pending) p.reject(err);
      this.becameIdle(worker);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the SQLite writer thread exited (code ${code})`)));
    return worker;
  }
}
