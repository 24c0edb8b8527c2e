import { WireError } from "./wire-error.js";

/**
 * The management plane's error dialect: Azure Resource Manager's codes and wording (docs/management.md). Each entry
 * names one failure: its HTTP status, its ARM code, a message template and, where ARM names one, a target. `{name}`
 * in a template is filled from the parameters given to `armError`. Rendered by the one error handler
 * (http/error-handler.ts) as `{"error":{"code","message","target"?}}` with `x-ms-error-code`, and its code reaches the
 * request log line and the metrics like every ACS code.
 */
export const armErrorCatalogue = {
  // --- request (400) ---
  missingApiVersion: { status: 400, code: "MissingApiVersionParameter", message: "The api-version query parameter (?api-version=) is required for all requests." },
  invalidApiVersion: {
    status: 400,
    code: "InvalidApiVersionParameter",
    message: "The api-version '{apiVersion}' is invalid. The supported versions are from '{oldest}' to '{newest}'.",
  },
  invalidContent: { status: 400, code: "InvalidRequestContent", message: "The request content was invalid: {target}: {problem}", target: "{target}" },
  invalidSkipToken: { status: 400, code: "InvalidRequestContent", message: "$skipToken is not valid.", target: "$skipToken" },
  dataLocationImmutable: { status: 400, code: "InvalidRequestContent", message: "dataLocation cannot be changed.", target: "properties.dataLocation" },
  invalidResourceGroupName: { status: 400, code: "InvalidRequestContent", message: "The resource group name '{resourceGroup}' is not valid." },
  linkedDomainNotFound: { status: 400, code: "InvalidRequestContent", message: "The linked domain '{id}' was not found.", target: "properties.linkedDomains" },
  linkedDomainNotVerified: { status: 400, code: "InvalidRequestContent", message: "The linked domain '{id}' is not verified.", target: "properties.linkedDomains" },
  domainManagementImmutable: { status: 400, code: "InvalidRequestContent", message: "domainManagement cannot be changed.", target: "properties.domainManagement" },
  unsupportedDomainManagement: {
    status: 400,
    code: "InvalidRequestContent",
    message: "domainManagement must be AzureManaged or CustomerManaged (CustomerManagedInExchangeOnline is not supported).",
    target: "properties.domainManagement",
  },
  azureManagedDomainName: { status: 400, code: "InvalidRequestContent", message: "An AzureManaged domain must be named '{name}'.", target: "domainName" },
  notCustomerManaged: { status: 400, code: "InvalidRequestContent", message: "Only a CustomerManaged domain is verified." },
  invalidSenderUsername: { status: 400, code: "InvalidRequestContent", message: "'{username}' is not a valid sender user name.", target: "properties.username" },
  senderUsernameMismatch: {
    status: 400,
    code: "InvalidRequestContent",
    message: "properties.username must equal the sender user name in the path.",
    target: "properties.username",
  },
  invalidResourceName: { status: 400, code: "InvalidResourceName", message: "The resource name '{name}' is invalid." },
  invalidResourceNameBecause: { status: 400, code: "InvalidResourceName", message: "The resource name '{name}' is invalid. {reason}" },
  invalidDomainName: { status: 400, code: "InvalidResourceName", message: "'{name}' is not a domain name." },
  // --- authorization (403) ---
  entraPrincipalsOnly: { status: 403, code: "AuthorizationFailed", message: "The management plane accepts Entra ID principals only." },
  noRouteAuthorizer: { status: 403, code: "AuthorizationFailed", message: "The principal has no role assignment that grants this operation." },
  authorizationFailed: {
    status: 403,
    code: "AuthorizationFailed",
    message:
      "The client '{objectId}' with object id '{objectId}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
  },
  // --- lookups (404) ---
  subscriptionNotFound: { status: 404, code: "SubscriptionNotFound", message: "The subscription '{subscriptionId}' could not be found." },
  resourceGroupNotFound: { status: 404, code: "ResourceGroupNotFound", message: "Resource group '{resourceGroup}' could not be found." },
  resourceNotFound: {
    status: 404,
    code: "ResourceNotFound",
    message: "The Resource 'Microsoft.Communication/{type}/{name}' under resource group '{resourceGroup}' was not found.",
  },
  resourceGone: { status: 404, code: "ResourceNotFound", message: "The resource was not found." },
  domainNotFound: { status: 404, code: "ResourceNotFound", message: "The Resource 'Microsoft.Communication/EmailServices/{service}/Domains/{name}' was not found." },
  senderUsernameNotFound: { status: 404, code: "ResourceNotFound", message: "The sender user name '{username}' was not found." },
  operationNotFound: { status: 404, code: "OperationNotFound", message: "The operation '{operationId}' was not found." },
  // --- state (409) ---
  nameTakenElsewhere: {
    status: 409,
    code: "Conflict",
    message: "A communication service named '{name}' already exists in another resource group of this server.",
  },
  communicationServiceExists: { status: 409, code: "Conflict", message: "A communication service named '{name}' already exists." },
  emailServiceExists: { status: 409, code: "Conflict", message: "An e-mail service named '{name}' already exists." },
  defaultResourceUndeletable: { status: 409, code: "Conflict", message: "The server's default resource cannot be deleted." },
} as const satisfies Record<string, { status: number; code: string; message: string; target?: string }>;

export type ArmErrorName = keyof typeof armErrorCatalogue;
type Entry<N extends ArmErrorName> = (typeof armErrorCatalogue)[N];
export type ArmErrorCode = Entry<ArmErrorName>["code"];

/** The `{name}` placeholders of a template. */
type Placeholders<S extends string> = S extends `${string}{${infer K}}${infer Rest}` ? K | Placeholders<Rest> : never;
type ParamsOf<N extends ArmErrorName> = Placeholders<Entry<N>["message"] | (Entry<N> extends { target: infer T extends string } ? T : never)>;
type ArmErrorParams<N extends ArmErrorName> = [ParamsOf<N>] extends [never] ? [] : [params: Record<ParamsOf<N>, string>];

/** Fills `{name}` placeholders in one pass (a value containing braces is not read again). */
export function fillTemplate(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (Object.hasOwn(params, key) ? params[key]! : whole));
}

/** A failure of the management plane, in ARM's dialect. */
export class ArmError extends WireError {
  readonly code: ArmErrorCode;
  /** The catalogue entry this failure was made from. */
  readonly entry: ArmErrorName;

  constructor(entry: ArmErrorName, params: Record<string, string> = {}) {
    const e: { status: number; code: ArmErrorCode; message: string; target?: string } = armErrorCatalogue[entry];
    super(e.status, fillTemplate(e.message, params), { target: e.target === undefined ? undefined : fillTemplate(e.target, params) });
    this.name = "ArmError";
    this.code = e.code;
    this.entry = entry;
  }
}

/** `throw armError("resourceGroupNotFound", { resourceGroup })`: the parameters a template needs are type-checked. */
export function armError<N extends ArmErrorName>(entry: N, ...params: ArmErrorParams<N>): ArmError {
  return new ArmError(entry, params[0] ?? {});
}
