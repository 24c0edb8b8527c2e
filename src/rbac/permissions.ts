/**
 * The permission table: every operation a management principal (access key or Entra ID) can call, and the RBAC
 * permission it needs. Access keys have every permission on their own resource; an Entra principal needs a role
 * assignment whose actions or dataActions match. An operation missing from this table is refused to Entra principals.
 *
 * Permission strings follow Azure's shape: `Microsoft.Communication/CommunicationServices/<area>/<verb>`, where the
 * verb is `read`, `write`, `delete` or `action`, so built-in roles can grant by wildcard (Reader: `*\/read`).
 */
const ACS = "Microsoft.Communication/CommunicationServices";

export const operationPermissions: Readonly<Record<string, string>> = {
  // --- identity ---
  "identity.create": `${ACS}/identities/write`,
  "identity.delete": `${ACS}/identities/delete`,
  "identity.issueAccessToken": `${ACS}/identities/issueAccessToken/action`,
  "identity.revokeAccessTokens": `${ACS}/identities/revokeAccessTokens/action`,
  "identity.introspectToken": `${ACS}/tokens/read`,
  // --- monitoring ---
  "activity.read": `${ACS}/activity/read`,
  // --- phone numbers ---
  "phoneNumbers.listCountries": `${ACS}/availablePhoneNumbers/read`,
  "phoneNumbers.listLocalities": `${ACS}/availablePhoneNumbers/read`,
  "phoneNumbers.listAreaCodes": `${ACS}/availablePhoneNumbers/read`,
  "phoneNumbers.listOfferings": `${ACS}/availablePhoneNumbers/read`,
  "phoneNumbers.search": `${ACS}/availablePhoneNumbers/search/action`,
  "phoneNumbers.getSearchResult": `${ACS}/availablePhoneNumbers/read`,
  "phoneNumbers.purchase": `${ACS}/availablePhoneNumbers/purchase/action`,
  "phoneNumbers.browse": `${ACS}/availablePhoneNumbers/browse/action`,
  "phoneNumbers.listReservations": `${ACS}/phoneNumberReservations/read`,
  "phoneNumbers.getReservation": `${ACS}/phoneNumberReservations/read`,
  "phoneNumbers.upsertReservation": `${ACS}/phoneNumberReservations/write`,
  "phoneNumbers.deleteReservation": `${ACS}/phoneNumberReservations/delete`,
  "phoneNumbers.purchaseReservation": `${ACS}/phoneNumberReservations/purchase/action`,
  "phoneNumbers.getOperation": `${ACS}/phoneNumbers/operations/read`,
  "phoneNumbers.cancelOperation": `${ACS}/phoneNumbers/operations/delete`,
  "phoneNumbers.list": `${ACS}/phoneNumbers/read`,
  "phoneNumbers.get": `${ACS}/phoneNumbers/read`,
  "phoneNumbers.updateCapabilities": `${ACS}/phoneNumbers/capabilities/write`,
  "phoneNumbers.release": `${ACS}/phoneNumbers/delete`,
  "phoneNumbers.searchOperatorInformation": `${ACS}/operatorInformation/search/action`,
  // --- sms ---
  "sms.send": `${ACS}/sms/send/action`,
  "sms.optOuts.add": `${ACS}/sms/optOuts/write`,
  "sms.optOuts.remove": `${ACS}/sms/optOuts/delete`,
  "sms.optOuts.check": `${ACS}/sms/optOuts/read`,
  "sms.getDeliveryReport": `${ACS}/sms/deliveryReports/read`,
  // --- email ---
  "email.send": `${ACS}/emails/send/action`,
  "email.getSendResult": `${ACS}/emails/operations/read`,
  // --- outbox ---
  "outbox.list": `${ACS}/outbox/read`,
  "outbox.get": `${ACS}/outbox/read`,
  "outbox.clear": `${ACS}/outbox/delete`,
  // --- event subscriptions (src/events) ---
  "events.subscriptions.create": `${ACS}/eventSubscriptions/write`,
  "events.subscriptions.list": `${ACS}/eventSubscriptions/read`,
  "events.subscriptions.delete": `${ACS}/eventSubscriptions/delete`,
  "events.failures.list": `${ACS}/eventSubscriptions/read`,
  "identity.exchangeTeamsUserToken": `${ACS}/identities/exchangeTeamsUserToken/action`,
  // --- calling ---
  "calling.listCalls": `${ACS}/calls/read`,
  "calling.getCall": `${ACS}/calls/read`,
  // --- keys (the console's Keys page) ---
  "keys.regenerate": `${ACS}/regenerateKey/action`,
  "signingKeys.rotate": `${ACS}/signingKeys/rotate/action`,
  // --- principals of the built-in authority (the console's Principals page) ---
  "principals.create": `${ACS}/servicePrincipals/write`,
};

export function permissionFor(operation: string): string | undefined {
  return operationPermissions[operation];
}
