import type { Generated } from "kysely";

/** One call: who started it, on which resource, when it was answered and how it ended. */
export interface CallsTable {
  id: string;
  resource_id: string;
  caller: string;
  /** 1 if the caller asked for video. */
  video: number;
  started_at: number;
  /** When a second participant joined; null if nobody ever answered. */
  answered_at: number | null;
  ended_at: number | null;
  /** hangUp | cancelled | rejected | noAnswer | disconnected | tokenRevoked | tokenExpired | serverShutdown | serverFailure */
  end_reason: string | null;
  /** ended_at - answered_at (0 for an unanswered call); null while the call runs. */
  duration_ms: number | null;
  /** The replica (realtime bus id) holding the live call; null once it ended (migration 0017). */
  home_replica: string | null;
}

/** Every identity a call involved: the caller, each invitee (joined or not) and anyone who joined by id. */
export interface CallParticipantsTable {
  id: Generated<number>;
  call_id: string;
  identity: string;
  /** caller | invitee | joiner */
  role: string;
  invited_at: number | null;
  joined_at: number | null;
  left_at: number | null;
  /** joined | rejected | missed | ringing */
  outcome: string;
  /** Why the participant left: hangUp | disconnected | tokenRevoked | callEnded … */
  leave_reason: string | null;
}

/** One row per server process: its heartbeat, in the database's clock (epoch ms). */
export interface RealtimeReplicasTable {
  replica: string;
  started_at: number;
  seen_at: number;
}

export interface CallingTables {
  calls: CallsTable;
  call_participants: CallParticipantsTable;
  realtime_replicas: RealtimeReplicasTable;
}
