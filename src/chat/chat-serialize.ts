import type { InvalidParticipant, MessageView, ParticipantView, ThreadView } from "./chat-views.js";
import { identifierFromRawId } from "./communication-identifier.js";

/** Wire models of Chat-2025-03-15.json. Date-times are RFC 3339 UTC. */
const iso = (ms: number): string => new Date(ms).toISOString();

export function toThreadModel(t: ThreadView): Record<string, unknown> {
  const model: Record<string, unknown> = {
    id: t.id,
    topic: t.topic,
    createdOn: iso(t.createdAt),
    createdByCommunicationIdentifier: identifierFromRawId(t.createdBy),
    metadata: t.metadata,
  };
  if (t.retentionPolicy !== undefined) model.retentionPolicy = t.retentionPolicy;
  return model;
}

export function toThreadItemModel(t: ThreadView): Record<string, unknown> {
  const model: Record<string, unknown> = { id: t.id, topic: t.topic };
  if (t.lastMessageAt !== null) model.lastMessageReceivedOn = iso(t.lastMessageAt);
  return model;
}

export function toParticipantModel(p: ParticipantView): Record<string, unknown> {
  const model: Record<string, unknown> = { communicationIdentifier: identifierFromRawId(p.rawId) };
  if (p.displayName !== undefined) model.displayName = p.displayName;
  if (p.shareHistoryTime !== null) model.shareHistoryTime = iso(p.shareHistoryTime);
  if (Object.keys(p.metadata).length > 0) model.metadata = p.metadata;
  return model;
}

export function toMessageModel(m: MessageView): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (m.content !== undefined) content.message = m.content;
  if (m.topic !== undefined) content.topic = m.topic;
  if (m.participants !== undefined) content.participants = m.participants.map(toParticipantModel);
  if (m.initiator !== undefined) content.initiatorCommunicationIdentifier = identifierFromRawId(m.initiator);
  const model: Record<string, unknown> = {
    id: m.id,
    type: m.type,
    sequenceId: m.sequenceId,
    version: m.version,
    content,
    createdOn: iso(m.createdAt),
  };
  if (m.senderDisplayName !== undefined) model.senderDisplayName = m.senderDisplayName;
  if (m.senderRawId !== undefined) model.senderCommunicationIdentifier = identifierFromRawId(m.senderRawId);
  if (m.metadata !== undefined) model.metadata = m.metadata;
  if (m.editedAt !== null) model.editedOn = iso(m.editedAt);
  if (m.deletedAt !== null) model.deletedOn = iso(m.deletedAt);
  return model;
}

/** `invalidParticipants`: one CommunicationError per refused participant, target = its rawId. */
export function invalidParticipantsModel(invalid: InvalidParticipant[]): Array<{ code: string; message: string; target: string }> {
  return invalid.map((p) => ({
    code: "InvalidParticipant",
    message: "The participant is not an identity of this resource.",
    target: p.rawId,
  }));
}
