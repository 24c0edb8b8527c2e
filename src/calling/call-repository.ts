import type { Selectable } from "kysely";
import type { Store } from "../store/store.js";
import type { CallParticipantsTable, CallsTable } from "./calling-tables.js";
import type { CallRecord, EndReason, ParticipantOutcome, ParticipantRole } from "./call-record.js";

export interface CallQuery {
  resourceId?: string;
  identity?: string;
  /** Only calls not ended yet (in progress or ringing). */
  live?: boolean;
  limit: number;
}

function toRecord(row: Selectable<CallsTable>, participants: Selectable<CallParticipantsTable>[]): CallRecord {
  const num = (v: number | null): number | null => (v === null ? null : Number(v));
  return {
    id: row.id,
    resourceId: row.resource_id,
    caller: row.caller,
    video: row.video === 1,
    startedAt: Number(row.started_at),
    answeredAt: num(row.answered_at),
    endedAt: num(row.ended_at),
    endReason: row.end_reason as EndReason | null,
    durationMs: num(row.duration_ms),
    participants: participants
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((p) => ({
        identity: p.identity,
        role: p.role as ParticipantRole,
        invitedAt: num(p.invited_at),
        joinedAt: num(p.joined_at),
        leftAt: num(p.left_at),
        outcome: p.outcome as ParticipantOutcome,
        leaveReason: p.leave_reason,
      })),
  };
}

/**
 * Storage of call records. The signaling service keeps the live call in memory and saves a full snapshot at every
 * change (start, join, reject, leave, end), so a save is idempotent and the last one wins.
 */
export class CallRepository {
  constructor(private readonly store: Store) {}

  async save(call: CallRecord): Promise<void> {
    await this.store.write(async (trx) => {
      const values = {
        resource_id: call.resourceId,
        caller: call.caller,
        video: call.video ? 1 : 0,
        started_at: call.startedAt,
        answered_at: call.answeredAt,
        ended_at: call.endedAt,
        end_reason: call.endReason,
        duration_ms: call.durationMs,
      };
      const updated = await trx.updateTable("calls").set(values).where("id", "=", call.id).executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await trx.insertInto("calls").values({ id: call.id, ...values }).execute();
      await trx.deleteFrom("call_participants").where("call_id", "=", call.id).execute();
      if (call.participants.length > 0) {
        await trx
          .insertInto("call_participants")
          .values(
            call.participants.map((p) => ({
              call_id: call.id,
              identity: p.identity,
              role: p.role,
              invited_at: p.invitedAt,
              joined_at: p.joinedAt,
              left_at: p.leftAt,
              outcome: p.outcome,
              leave_reason: p.leaveReason,
            })),
          )
          .execute();
      }
    });
  }

  async get(id: string): Promise<CallRecord | undefined> {
    const row = await this.store.db.selectFrom("calls").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined) return undefined;
    const participants = await this.store.db.selectFrom("call_participants").selectAll().where("call_id", "=", id).execute();
    return toRecord(row, participants);
  }

  /** Newest first: the calls of a resource, or every call an identity took part in (caller, invitee or joiner). */
  async list(query: CallQuery): Promise<CallRecord[]> {
    let q = this.store.db.selectFrom("calls").selectAll("calls");
    if (query.resourceId !== undefined) q = q.where("calls.resource_id", "=", query.resourceId);
    if (query.live === true) q = q.where("calls.ended_at", "is", null);
    if (query.identity !== undefined) {
      const identity = query.identity;
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom("call_participants")
            .select("call_participants.id")
            .whereRef("call_participants.call_id", "=", "calls.id")
            .where("call_participants.identity", "=", identity),
        ),
      );
    }
    const rows = await q.orderBy("calls.started_at", "desc").orderBy("calls.id").limit(query.limit).execute();
    if (rows.length === 0) return [];
    const participants = await this.store.db
      .selectFrom("call_participants")
      .selectAll()
      .where(
        "call_id",
        "in",
        rows.map((r) => r.id),
      )
      .execute();
    return rows.map((row) => toRecord(row, participants.filter((p) => p.call_id === row.id)));
  }
}
