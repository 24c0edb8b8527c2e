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

  /** `homeReplica`: the replica holding the live call (stored while the call runs, cleared when it ended). */
  async save(call: CallRecord, homeReplica?: string): Promise<void> {
    await this.store.write(async (trx) => {
      const values = {
        home_replica: call.endedAt === null ? (homeReplica ?? null) : null,
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

  /** Calls still running on a replica not in `live` (their holder went away without ending them). */
  async heldByOthers(live: ReadonlySet<string>): Promise<Array<{ id: string; homeReplica: string }>> {
    let q = this.store.db.selectFrom("calls").select(["id", "home_replica"]).where("home_replica", "is not", null).where("ended_at", "is", null);
    if (live.size > 0) q = q.where("home_replica", "not in", [...live]);
    const rows = await q.limit(500).execute();
    return rows.map((r) => ({ id: r.id, homeReplica: r.home_replica! }));
  }

  /**
   * Closes a call whose holder `homeReplica` went away: end time, reason, duration; who was in it leaves
   * (`callEnded`), who was ringing missed it. Conditional on the call still being open and held there, so of several
   * survivors sweeping at once exactly one closes it: that one gets the record as it was before (to raise the events
   * once), the others undefined.
   */
  async closeOrphan(id: string, homeReplica: string, now: number, reason: EndReason): Promise<CallRecord | undefined> {
    return this.store.write(async (trx) => {
      const row = await trx.selectFrom("calls").selectAll().where("id", "=", id).executeTakeFirst();
      if (row === undefined || row.ended_at !== null || row.home_replica !== homeReplica) return undefined;
      const answeredAt = row.answered_at === null ? null : Number(row.answered_at);
      const closed = await trx
        .updateTable("calls")
        .set({ ended_at: now, end_reason: reason, duration_ms: answeredAt === null ? 0 : Math.max(0, now - answeredAt), home_replica: null })
        .where("id", "=", id)
        .where("ended_at", "is", null)
        .where("home_replica", "=", homeReplica)
        .executeTakeFirst();
      if (Number(closed.numUpdatedRows) === 0) return undefined;
      const participants = await trx.selectFrom("call_participants").selectAll().where("call_id", "=", id).execute();
      await trx
        .updateTable("call_participants")
        .set({ left_at: now, leave_reason: "callEnded" })
        .where("call_id", "=", id)
        .where("joined_at", "is not", null)
        .where("left_at", "is", null)
        .execute();
      await trx.updateTable("call_participants").set({ outcome: "missed" }).where("call_id", "=", id).where("outcome", "=", "ringing").execute();
      return toRecord(row, participants);
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
