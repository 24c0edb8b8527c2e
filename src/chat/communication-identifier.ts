/**
 * CommunicationIdentifierModel (de)serialization, as `@azure/communication-common`'s
 * `deserializeCommunicationIdentifier` requires it: `kind`, `rawId` and exactly the one matching sub-object with
 * every field the SDK asserts (`microsoftTeamsUser` needs userId, isAnonymous and cloud; `phoneNumber` needs value).
 * The rawId is the stored form; it maps to one model the same way the SDK's `createIdentifierFromRawId` does.
 */
export type Cloud = "public" | "dod" | "gcch";

export interface IdentifierModel {
  kind: "communicationUser" | "phoneNumber" | "microsoftTeamsUser" | "microsoftTeamsApp" | "teamsExtensionUser" | "unknown";
  rawId: string;
  communicationUser?: { id: string };
  phoneNumber?: { value: string; isAnonymous: boolean; assertedId?: string };
  microsoftTeamsUser?: { userId: string; isAnonymous: boolean; cloud: Cloud };
  microsoftTeamsApp?: { appId: string; cloud: Cloud };
  teamsExtensionUser?: { userId: string; tenantId: string; resourceId: string; cloud: Cloud };
}

const TEAMS_USER_PREFIXES: Record<string, { cloud: Cloud; isAnonymous: boolean }> = {
  "8:orgid:": { cloud: "public", isAnonymous: false },
  "8:dod:": { cloud: "dod", isAnonymous: false },
  "8:gcch:": { cloud: "gcch", isAnonymous: false },
  "8:teamsvisitor:": { cloud: "public", isAnonymous: true },
};
const TEAMS_APP_PREFIXES: Record<string, Cloud> = { "28:orgid:": "public", "28:dod:": "dod", "28:gcch:": "gcch" };
const ACS_PREFIXES: Record<string, Cloud> = { "8:acs:": "public", "8:dod-acs:": "dod", "8:gcch-acs:": "gcch" };

/** Longest rawId accepted in a request. */
export const MAX_RAW_ID_LENGTH = 512;

function prefixOf(rawId: string): string | undefined {
  const segments = rawId.split(":");
  return segments.length >= 3 ? `${segments[0]}:${segments[1]}:` : undefined;
}

/** The response model of a stored rawId. */
export function identifierFromRawId(rawId: string): IdentifierModel {
  if (rawId.startsWith("4:")) {
    const value = rawId.slice(2);
    const isAnonymous = value === "anonymous";
    const assertedAt = isAnonymous ? -1 : value.lastIndexOf("_") + 1;
    const phoneNumber: NonNullable<IdentifierModel["phoneNumber"]> = { value, isAnonymous };
    if (assertedAt > 0 && assertedAt < value.length) phoneNumber.assertedId = value.slice(assertedAt);
    return { kind: "phoneNumber", rawId, phoneNumber };
  }
  const prefix = prefixOf(rawId);
  if (prefix !== undefined) {
    const suffix = rawId.slice(prefix.length);
    const teamsUser = TEAMS_USER_PREFIXES[prefix];
    if (teamsUser !== undefined) {
      return { kind: "microsoftTeamsUser", rawId, microsoftTeamsUser: { userId: suffix, ...teamsUser } };
    }
    const appCloud = TEAMS_APP_PREFIXES[prefix];
    if (appCloud !== undefined) return { kind: "microsoftTeamsApp", rawId, microsoftTeamsApp: { appId: suffix, cloud: appCloud } };
    const acsCloud = ACS_PREFIXES[prefix];
    if (acsCloud !== undefined) {
      const parts = suffix.split("_");
      if (parts.length === 3) {
        const [resourceId, tenantId, userId] = parts as [string, string, string];
        return { kind: "teamsExtensionUser", rawId, teamsExtensionUser: { userId, tenantId, resourceId, cloud: acsCloud } };
      }
      return { kind: "communicationUser", rawId, communicationUser: { id: rawId } };
    }
    if (prefix === "8:spool:") return { kind: "communicationUser", rawId, communicationUser: { id: rawId } };
  }
  return { kind: "unknown", rawId };
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The rawId a sub-object stands for, as the SDK's getIdentifierRawId derives it. */
function rawIdOfSubObject(model: Record<string, unknown>): string | undefined | null {
  const present = ["communicationUser", "phoneNumber", "microsoftTeamsUser", "microsoftTeamsApp", "teamsExtensionUser"].filter(
    (k) => model[k] !== undefined && model[k] !== null,
  );
  if (present.length > 1) return null;
  if (present.length === 0) return undefined;
  const name = present[0]!;
  const sub = model[name];
  if (!isObject(sub)) return null;
  const cloud = sub.cloud ?? "public";
  switch (name) {
    case "communicationUser":
      return isString(sub.id) ? sub.id : null;
    case "phoneNumber":
      return isString(sub.value) ? `4:${sub.value}` : null;
    case "microsoftTeamsUser":
      if (!isString(sub.userId)) return null;
      if (sub.isAnonymous === true) return `8:teamsvisitor:${sub.userId}`;
      return `8:${cloud === "dod" ? "dod" : cloud === "gcch" ? "gcch" : "orgid"}:${sub.userId}`;
    case "microsoftTeamsApp":
      if (!isString(sub.appId)) return null;
      return `28:${cloud === "dod" ? "dod" : cloud === "gcch" ? "gcch" : "orgid"}:${sub.appId}`;
    default:
      if (!isString(sub.userId) || !isString(sub.tenantId) || !isString(sub.resourceId)) return null;
      return `8:${cloud === "dod" ? "dod-acs" : cloud === "gcch" ? "gcch-acs" : "acs"}:${sub.resourceId}_${sub.tenantId}_${sub.userId}`;
  }
}

/**
 * The rawId of an identifier model sent by a client, or undefined if the model is malformed: not an object, more
 * than one sub-object, neither rawId nor sub-object, or a communicationUser id that contradicts the rawId.
 */
export function rawIdFromModel(model: unknown): string | undefined {
  if (!isObject(model)) return undefined;
  const derived = rawIdOfSubObject(model);
  if (derived === null) return undefined;
  const raw = model.rawId;
  if (raw !== undefined && raw !== null && !isString(raw)) return undefined;
  const rawId = isString(raw) ? raw : derived;
  if (rawId === undefined || rawId.length > MAX_RAW_ID_LENGTH) return undefined;
  if (isObject(model.communicationUser) && model.communicationUser.id !== rawId) return undefined;
  return rawId;
}
