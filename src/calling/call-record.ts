/** How a call ended. The first reason that ended it wins. */
export const END_REASONS = [
  "hangUp",
  "cancelled",
  "rejected",
  "noAnswer",
  "disconnected",
  "tokenRevoked",
  "tokenExpired",
  "serverShutdown",
  /** The replica holding the call stopped without ending it (crash, kill -9); a survivor closed it. */
  "serverFailure",
] as const;
export type EndReason = (typeof END_REASONS)[number];

export type ParticipantRole = "caller" | "invitee" | "joiner";
export type ParticipantOutcome = "ringing" | "joined" | "rejected" | "missed";

/** One identity's part in a call (epoch milliseconds). */
export interface ParticipantRecord {
  identity: string;
  role: ParticipantRole;
  invitedAt: number | null;
  joinedAt: number | null;
  leftAt: number | null;
  outcome: ParticipantOutcome;
  leaveReason: string | null;
}

/** A call as stored (epoch milliseconds). */
export interface CallRecord {
  id: string;
  resourceId: string;
  caller: string;
  video: boolean;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: EndReason | null;
  durationMs: number | null;
  participants: ParticipantRecord[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The wire/CLI view of a call record: ISO-8601 times and per-participant durations. */
export function callRecordView(call: CallRecord) {
  return {
    id: call.id,
    resourceId: call.resourceId,
    caller: call.caller,
    video: call.video,
    startedAt: iso(call.startedAt),
    answeredAt: iso(call.answeredAt),
    endedAt: iso(call.endedAt),
    endReason: call.endReason,
    durationMs: call.durationMs,
    participants: call.participants.map((p) => ({
      identity: p.identity,
      role: p.role,
      outcome: p.outcome,
      invitedAt: iso(p.invitedAt),
      joinedAt: iso(p.joinedAt),
      leftAt: iso(p.leftAt),
      leaveReason: p.leaveReason,
      durationMs: p.joinedAt !== null && p.leftAt !== null ? p.leftAt - p.joinedAt : null,
    })),
  };
}

export type CallRecordView = ReturnType<typeof callRecordView>;
