/**
 * Requests are handled in turns of the event loop. In one pass over the ready sockets (libuv's poll phase) every
 * request that arrived is read and routed, and waits here; in the check phase right after it, they are all
 * authenticated, handled and answered together. Without the wait each request runs to its response inside its own
 * socket's read callback, so the server alternates reading one request with writing one response, and every write
 * wakes the client on the other end by itself.
 *
 * Measured on the 2-core benchmark machine (bench/RESULTS.md, "Requests in turns"): bare fastify with one ES256
 * signature per request went from 13.0k to 20.0k req/s, with 3× less system time per request; getToken from 4.1k to
 * 8.6k req/s. Writes batched by the store's group commit (createUserAndToken, sendMessage) already answered in
 * turns and barely move. A lone request waits one phase of the loop, microseconds.
 */
let current: Promise<void> | undefined;

function endTurn(resolve: () => void): void {
  current = undefined;
  resolve();
}

/** Resolves in the loop's next check phase, together with every other request that waits in this turn. */
export function nextTurn(): Promise<void> {
  return (current ??= new Promise<void>((resolve) => setImmediate(endTurn, resolve)));
}
