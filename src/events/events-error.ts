/** A rejected subscription request (bad or forbidden endpoint, unknown id) or inbound SMS: the CLI prints the message. */
export class EventsInputError extends Error {
  constructor(
    readonly code:
      | "InvalidEndpoint"
      | "EndpointNotAllowed"
      | "InvalidEventSchema"
      | "SubscriptionNotFound"
      | "InvalidPhoneNumber"
      | "NumberNotOwned"
      | "NumberNotSmsInbound"
      | "InvalidMessage",
    message: string,
  ) {
    super(message);
    this.name = "EventsInputError";
  }
}
