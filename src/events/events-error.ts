/** A rejected subscription request (bad or forbidden endpoint, unknown id): the CLI prints the message. */
export class EventsInputError extends Error {
  constructor(
    readonly code: "InvalidEndpoint" | "EndpointNotAllowed" | "InvalidEventSchema" | "SubscriptionNotFound",
    message: string,
  ) {
    super(message);
    this.name = "EventsInputError";
  }
}
