/**
 * Coalesces reload requests: a request during a reload makes one more run after it, so the last change always wins;
 * a load that fails (database briefly away) is retried every `retryMs` until one succeeds.
 */
export class Reloader {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly load: () => Promise<void>,
    private readonly retryMs: number,
  ) {}

  request(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.load().catch(async () => {
          this.again = true;
          await new Promise((r) => setTimeout(r, this.retryMs).unref());
        });
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once no reload is in flight. */
  async settled(): Promise<void> {
    await this.running;
  }
}
