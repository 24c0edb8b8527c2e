import { WireError, type ErrorDetail } from "./wire-error.js";

/**
 * The error catalogue: every client-caused failure has a stable code, one HTTP status and a default message.
 * One handler (error-handler.ts) renders them as the ACS envelope `{"error":{"code","message"}}`.
 * Services add their codes here so that the whole surface stays in one list. The management plane (ARM) has its own
 * dialect in arm-errors.ts, rendered by the same handler.
 */
export const errorCatalogue = {
  // --- authentication (401) ---
  MissingAuthorization: [401, "The request has no Authorization header."],
  InvalidAuthorizationHeader: [401, "The Authorization header is malformed."],
  UnsupportedAuthorizationScheme: [401, "The Authorization scheme is not accepted for this operation."],
  MissingDateHeader: [401, "The request has no x-ms-date (or Date) header."],
  InvalidDateHeader: [401, "The x-ms-date header is not a valid RFC 1123 date."],
  RequestDateOutOfRange: [401, "The x-ms-date header is more than 15 minutes away from the server's time."],
  MissingContentHash: [401, "The request has no x-ms-content-sha256 header."],
  ContentHashMismatch: [401, "x-ms-content-sha256 does not match the SHA-256 hash of the request body."],
  UnsupportedSignedHeaders: [401, "SignedHeaders must be x-ms-date;host;x-ms-content-sha256."],
  InvalidSignature: [401, "The HMAC signature does not match any access key of this resource."],
  InvalidToken: [401, "The bearer token is malformed or its signature is not valid."],
  InvalidAccessToken: [401, "Provided access token is not valid."],
  TokenExpired: [401, "The bearer token has expired."],
  TokenNotYetValid: [401, "The bearer token is not valid yet."],
  TokenRevoked: [401, "The bearer token has been revoked."],
  TokenResourceMismatch: [401, "The bearer token was issued for another resource."],
  IdentityDeleted: [401, "The identity of this token has been deleted."],
  BearerRequiresHttps: [401, "Bearer tokens are accepted over HTTPS only; the plain HTTP listener takes access keys (HMAC)."],
  AccessKeyRegenerated: [401, "The token was issued through an access key that has since been regenerated."],
  // --- authorization (403) ---
  Forbidden: [403, "The caller is not allowed to perform this operation."],
  InsufficientScope: [403, "The token's scopes do not allow this operation."],
  // --- request validation (400) ---
  MissingApiVersion: [400, "The api-version query parameter is required."],
  UnsupportedApiVersion: [400, "The api-version is not supported for this API."],
  InvalidRequestUrl: [400, "The request URL is malformed."],
  DuplicateHeader: [400, "A header that may appear once (Authorization, x-ms-date, Date, x-ms-content-sha256, Host) appears more than once."],
  InvalidJson: [400, "The request body is not valid JSON."],
  InvalidCharacter: [400, "The request contains a NUL character or text that is not valid UTF-8."],
  UnstorableValue: [400, "The request contains a value that cannot be stored."],
  InvalidRequestBody: [400, "The request body is not valid."],
  ValidationError: [400, "A field of the request is not valid."],
  InvalidScope: [400, "Scopes must be a non-empty list of chat, voip, chat.join, chat.join.limited, voip.join."],
  InvalidTokenLifetime: [400, "expiresInMinutes must be an integer from 60 to 1440."],
  InvalidIdentifier: [400, "The communication identifier is malformed."],
  UnsupportedMediaType: [415, "The request body must be application/json."],
  RequestEntityTooLarge: [413, "The request body is too large."],
  // --- chat ---
  ThreadNotFound: [404, "The chat thread was not found, or the caller is not one of its participants."],
  MessageNotFound: [404, "The chat message was not found."],
  ParticipantNotFound: [404, "The identity is not a participant of this chat thread."],
  InvalidThreadId: [400, "The chat thread id is malformed."],
  InvalidMessageId: [400, "The chat message id is malformed."],
  InvalidMessageType: [400, "A chat message type must be text or html."],
  MessageTooLarge: [400, "The chat message content is larger than 28 KB."],
  TooManyParticipants: [400, "A chat thread can have at most 250 participants."],
  MetadataTooLarge: [400, "The metadata is larger than allowed."],
  TopicTooLong: [400, "The chat thread topic is too long."],
  DisplayNameTooLong: [400, "The display name is too long."],
  InvalidPageSize: [400, "maxPageSize must be a positive integer."],
  InvalidSkip: [400, "skip must be a non-negative integer."],
  InvalidStartTime: [400, "startTime is not a valid date-time."],
  InvalidContinuationToken: [400, "The paging continuation (syncState) is not valid."],
  InvalidRepeatabilityRequestId: [400, "The repeatability-request-id header is not valid."],
  NotMessageSender: [403, "Only the sender of a chat message may change or delete it."],
  SystemMessageNotEditable: [400, "System messages cannot be changed or deleted."],
  // --- lookups ---
  NotFound: [404, "The requested resource was not found."],
  IdentityNotFound: [404, "The identity was not found."],
  IdentityNotOwned: [401, "Provided identity doesn't belong to the resource."],
  MethodNotAllowed: [405, "The method is not allowed on this path."],
  // --- monitoring ---
  InvalidQueryParameter: [400, "A query parameter is not valid."],
  MetricsUnauthorized: [401, "GET /metrics needs the configured metrics token as a bearer token."],
  MetricsNotExposed: [403, "This server is not bound to loopback and has no metrics.token: /metrics is closed."],
  // --- phone numbers ---
  CountryNotSupported: [400, "No phone numbers are offered in this country."],
  InvalidPhoneNumber: [400, "The phone number is not a valid E.164 number."],
  OfferingNotFound: [400, "No offering matches the country, phone number type and assignment type of the search."],
  CapabilitiesNotSupported: [400, "The offering does not support the requested capabilities."],
  SearchExpired: [400, "The search has expired; its numbers are no longer held. Search again."],
  SearchAlreadyPurchased: [409, "The numbers of this search have already been purchased."],
  SearchNotFound: [404, "The search was not found."],
  InsufficientPermissions: [403, "Phone number not owned by this resource."],
  PhoneNumberNotFound: [404, "The phone number is not a number of this resource."],
  PhoneNumberOperationNotFound: [404, "The operation was not found."],
  ReservationNotFound: [404, "The reservation was not found."],
  ReservationNotActive: [409, "Only an active reservation can be changed, deleted or purchased."],
  ReservationExpired: [400, "The reservation has expired; its numbers are no longer held."],
  ReservationEmpty: [400, "The reservation holds no numbers."],
  // --- sms ---
  InvalidSender: [400, "The sender must be an E.164 phone number or a configured alphanumeric sender id."],
  /** ACS's code for an SMS sender the resource does not own (recorded: 401 {"code":"Unauthorized"}). */
  Unauthorized: [401, "The request is not authorized for this resource."],
  SenderNotSmsCapable: [400, "The sender number has no outbound SMS capability."],
  MessageTooLong: [400, "The message is longer than 2048 characters."],
  TooManyRecipients: [400, "The request has too many recipients."],
  DeliveryReportNotFound: [404, "No delivery report for this message id."],
  // --- email ---
  DomainNotLinked: [400, "The sender's domain is not a domain of this resource."],
  InvalidSenderUserName: [400, "The sender's user name is not allowed on this domain."],
  InvalidEmailAddress: [400, "An e-mail address is not valid."],
  InvalidEmailHeader: [400, "A custom header is not valid."],
  UnsupportedAttachmentType: [400, "The attachment type is not supported."],
  InvalidAttachmentContent: [400, "The attachment content is not valid base64."],
  EmailTooLarge: [413, "The e-mail, attachments included, is larger than the limit."],
  InvalidOperationId: [400, "Operation-Id must be a UUID."],
  EmailOperationNotFound: [404, "The e-mail operation was not found."],
  // --- outbox ---
  OutboxMessageNotFound: [404, "The outbox message was not found."],
  // --- entra (bearer authentication, RBAC, token exchanges) ---
  UnsupportedTokenAlgorithm: [401, "The bearer token's algorithm is not accepted (asymmetric algorithms only)."],
  InvalidTokenAudience: [401, "The bearer token was issued for another audience."],
  UntrustedTokenIssuer: [401, "The bearer token's issuer is not trusted by this server."],
  UnknownSigningKey: [401, "The bearer token's kid names no key of its issuer."],
  TokenKeySourceNotAllowed: [401, "The bearer token names its own key source (jwk, jku or x5u); keys come only from the issuer's key set."],
  PrincipalNotFound: [401, "The principal of this token no longer exists."],
  PrincipalDisabled: [401, "The principal of this token is disabled."],
  UserTokenRequired: [401, "The bearer token must be an Entra user token (delegated), not an application token."],
  AuthorizationFailed: [403, "The principal has no role assignment that grants this operation."],
  TeamsAppIdMismatch: [400, "appId does not match the appid/azp claim of the Teams user token."],
  TeamsUserIdMismatch: [400, "userId does not match the oid claim of the Teams user token."],
  IdentityBoundToOtherResource: [409, "This Teams user's identity belongs to another resource of this server."],
  // --- calling ---
  CallNotFound: [404, "The call was not found."],
  // --- resources: an endpoint or a row whose resource was deleted meanwhile (ARM codes are in arm-errors.ts) ---
  ResourceNotFound: [404, "The resource was not found."],
  // --- the console's data API (a name already taken) ---
  Conflict: [409, "The request conflicts with the current state of the resource."],
  // --- quotas (security/quotas.ts) ---
  TooManyRequests: [429, "Too many requests. Retry after the time in the Retry-After header."],
  // --- server side ---
  ServiceUnavailable: [503, "The service is temporarily unavailable; retry later."],
  InternalError: [500, "An internal error occurred."],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof errorCatalogue;

/** A client-visible failure in the ACS dialect. Throw it anywhere in the pipeline; the error handler renders it once. */
export class AcsError extends WireError {
  readonly code: ErrorCode;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { target?: string; details?: ErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    const [status, defaultMessage] = errorCatalogue[code];
    super(status, message ?? defaultMessage, options);
    this.name = "AcsError";
    this.code = code;
  }
}
