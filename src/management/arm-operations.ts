import { randomUUID } from "node:crypto";
import type { ManagementRepository } from "./management-repository.js";
import type { Clock } from "../util/clock.js";

export type ArmOperationKind = "create" | "delete";

export interface ArmOperation {
  id: string;
  kind: ArmOperationKind;
  /** The ARM id acted on. */
  target: string;
  status: "Running" | "Succeeded";
  startTime: string;
  endTime: string | undefined;
}

/**
 * Long-running ARM operations, polled by the SDKs through `Azure-AsyncOperation` / `Location`. The work itself is done
 * at once; an operation reports `Running` for the configured delay (management.operationDelayMs), so pollers can be
 * exercised, then `Succeeded`. Stored, so any replica answers the poll.
 */
export class ArmOperations {
  constructor(
    private readonly repository: ManagementRepository,
    private readonly clock: Clock,
    private readonly delayMs: number,
  ) {}

  async start(kind: ArmOperationKind, target: string): Promise<ArmOperation> {
    const id = randomUUID();
    const now = this.clock.now();
    await this.repository.insertOperation({ id, kind, target, started_at: now, ends_at: now + this.delayMs });
    return this.view({ id, kind, target, started_at: now, ends_at: now + this.delayMs });
  }

  async get(id: string): Promise<ArmOperation | undefined> {
    const row = await this.repository.findOperation(id);
    return row === undefined ? undefined : this.view(row);
  }

  private view(row: { id: string; kind: string; target: string; started_at: number; ends_at: number }): ArmOperation {
    const done = this.clock.now() >= Number(row.ends_at);
    return {
      id: row.id,
      kind: row.kind as ArmOperationKind,
      target: row.target,
      status: done ? "Succeeded" : "Running",
      startTime: new Date(Number(row.started_at)).toISOString(),
      endTime: done ? new Date(Number(row.ends_at)).toISOString() : undefined,
    };
  }
}
