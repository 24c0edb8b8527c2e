import { newId } from "../util/crypto.js";

export type EventSchema = "eventgrid" | "cloudevents";

/** An event before it is put in a schema: what the domain code raises. */
export interface AcsEvent {
  eventType: string;
  subject: string;
  data: Record<string, unknown>;
  dataVersion?: string;
}

/** The Event Grid topic of a resource, as ACS fills it in (an ARM id). */
export function resourceTopic(resource: { name: string }): string {
  return `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/switchboard/providers/Microsoft.Communication/CommunicationServices/${resource.name}`;
}

/** The event as Event Grid (eventgrid schema) or Event Grid's CloudEvents 1.0 binding puts it on the wire. */
export function envelope(schema: EventSchema, resource: { name: string }, event: AcsEvent, id: string, at: number): Record<string, unknown> {
  const time = new Date(at).toISOString();
  if (schema === "cloudevents") {
    return { id, source: resourceTopic(resource), specversion: "1.0", type: event.eventType, subject: event.subject, time, datacontenttype: "application/json", data: event.data };
  }
  return {
    id,
    topic: resourceTopic(resource),
    subject: event.subject,
    data: event.data,
    eventType: event.eventType,
    dataVersion: event.dataVersion ?? "1.0",
    metadataVersion: "1",
    eventTime: time,
  };
}

export function newEventId(): string {
  return newId();
}
