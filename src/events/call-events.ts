import type { Logger } from "pino";
import type { CallEvent } from "../calling/call-coordinator.js";
import { identifierFromRawId } from "../chat/communication-identifier.js";
import type { Store } from "../store/store.js";
import type { AcsEvent } from "./event-envelope.js";
import type { EventRecorder, EventResource } from "./event-recorder.js";

const NS = "Microsoft.Communication.";
export const CALL_EVENT_TYPES = {
  started: `${NS}CallStarted`,
  ended: `${NS}CallEnded`,
  participantAdded: `${NS}CallParticipantAdded`,
  participantRemoved: `${NS}CallParticipantRemoved`,
} as const;
const ALL = Object.values(CALL_EVENT_TYPES);

/** What ACS says for each way a call of ours ends (AcsCallEndReason: SIP-like code, subCode, phrase). */
const END_REASONS: Record<string, { code: number; subCode: number; phrase: string }> = {
  hangUp: { code: 0, subCode: 0, phrase: "Call ended successfully as all participants left." },
  cancelled: { code: 487, subCode: 0, phrase: "Call was cancelled by the caller." },
  rejected: { code: 603, subCode: 0, phrase: "Call was declined by the callee." },
  noAnswer: { code: 480, subCode: 0, phrase: "Call was not answered." },
  tokenRevoked: { code: 401, subCode: 0, phrase: "A participant's access was revoked." },
  tokenExpired: { code: 401, subCode: 1, phrase: "A participant's token expired." },
  disconnected: { code: 0, subCode: 1, phrase: "The last participant disconnected." },
  serverShutdown: { code: 503, subCode: 0, phrase: "The calling service shut down." },
  serverFailure: { code: 500, subCode: 0, phrase: "The calling server holding the call stopped unexpectedly." },
};

interface OpenCall {
  caller: string;
  identities: Set<string>;
}

/**
 * The ACS call events (CallStarted, CallParticipantAdded, CallParticipantRemoved, CallEnded) from the call
 * coordinator's per-participant events, written to the event outbox in a write of their own as each happens (a call
 * lives in memory; its record is saved separately). Subjects and data as ACS publishes them: `call/{serverCallId}/
 * startedBy/{rawId}` and `call/{serverCallId}/participant/{rawId}`; `serverCallId` and `correlationId` are the call id.
 */
export class CallEventsOutbox {
  private readonly open = new Map<string, OpenCall>();

  constructor(
    private readonly deps: { store: Store; recorder: EventRecorder; resource: (id: string) => EventResource | undefined; log: Logger },
  ) {}

  /** The coordinator's listener (`calling.onCallEvent(outbox.listener)`). */
  readonly listener = (event: CallEvent): void => {
    const events = this.translate(event);
    if (events.length === 0) return;
    const resource = this.deps.resource(event.resourceId);
    if (resource === undefined) return;
    void this.deps.store
      .write(async (trx) => {
        if (!(await this.deps.recorder.wants(trx, resource.id, ALL))) return;
        await this.deps.recorder.record(trx, resource, events);
      })
      .catch((err: unknown) => this.deps.log.error({ op: "events.call", callId: event.callId, err: { message: (err as Error).message } }, "recording call event failed"));
  };

  private translate(e: CallEvent): AcsEvent[] {
    if (e.type === "callStarted") {
      this.open.set(e.callId, { caller: e.identity, identities: new Set([e.identity]) });
      return [{ eventType: CALL_EVENT_TYPES.started, subject: `call/${e.callId}/startedBy/${e.identity}`, data: this.base(e.callId, e.identity) }];
    }
    let call = this.open.get(e.callId);
    if (call === undefined && e.caller !== undefined) {
      // A call closed here though another replica held it (that replica went away): the events name its caller.
      call = { caller: e.caller, identities: new Set([e.caller]) };
      this.open.set(e.callId, call);
    }
    if (call === undefined) return [];
    if (e.type === "joined" || e.type === "left") {
      call.identities.add(e.identity);
      const data = {
        ...this.base(e.callId, call.caller, call),
        user: { communicationIdentifier: identifierFromRawId(e.identity), role: e.identity === call.caller ? "Organizer" : "Attendee" },
        displayName: "",
        participantId: `${e.callId}:${e.identity}`,
        userAgent: "switchboard-calling",
      };
      const type = e.type === "joined" ? CALL_EVENT_TYPES.participantAdded : CALL_EVENT_TYPES.participantRemoved;
      return [{ eventType: type, subject: `call/${e.callId}/participant/${e.identity}`, data }];
    }
    if (e.type === "callEnded") {
      // Emitted once per identity of the call: one CallEnded per call.
      this.open.delete(e.callId);
      const reason = END_REASONS[e.reason ?? "hangUp"] ?? { code: 0, subCode: 0, phrase: e.reason ?? "" };
      const data = {
        ...this.base(e.callId, call.caller, call),
        endedBy: { communicationIdentifier: identifierFromRawId(call.caller), kind: "Participant", name: "" },
        reason,
        callDurationInSeconds: Math.round((e.durationMs ?? 0) / 100) / 10,
      };
      return [{ eventType: CALL_EVENT_TYPES.ended, subject: `call/${e.callId}/startedBy/${call.caller}`, data }];
    }
    return [];
  }

  private base(callId: string, caller: string, call?: OpenCall): Record<string, unknown> {
    return {
      startedBy: { communicationIdentifier: identifierFromRawId(caller), role: "Organizer" },
      serverCallId: callId,
      group: { id: callId },
      ...(call !== undefined ? { isTwoParty: call.identities.size <= 2 } : {}),
      correlationId: callId,
      isRoomsCall: false,
    };
  }
}
