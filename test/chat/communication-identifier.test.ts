import { describe, expect, it } from "vitest";
import {
  createIdentifierFromRawId,
  deserializeCommunicationIdentifier,
  getIdentifierRawId,
  serializeCommunicationIdentifier,
  type CommunicationIdentifier,
} from "@azure/communication-common";
import { identifierFromRawId, rawIdFromModel } from "../../src/chat/communication-identifier.js";

const RAW_IDS = [
  "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005-14a2-493b-8a72-5a3a0d000081",
  "8:spool:2dee53b4-368b-45b4-ab52-8493fb117652_00000005",
  "8:gcch-acs:2dee53b4-368b-45b4-ab52-8493fb117652_00000005",
  "8:acs:2dee53b4-368b-45b4-ab52-8493fb117652_tenant-1_user-1",
  "8:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130",
  "8:dod:45ab2481-1c1c-4005-be24-0ffb879b1130",
  "8:gcch:45ab2481-1c1c-4005-be24-0ffb879b1130",
  "8:teamsvisitor:45ab2481-1c1c-4005-be24-0ffb879b1130",
  "28:orgid:45ab2481-1c1c-4005-be24-0ffb879b1130",
  "28:gcch:45ab2481-1c1c-4005-be24-0ffb879b1130",
  "4:+14255550123",
  "4:anonymous",
  "4:+14255550123_207ffef6-9444-41fb-92ab-20eacaae2768",
  "something-else",
  "8:unknownprefix:abc",
];

describe("communication identifier models", () => {
  it.each(RAW_IDS)("%s serializes to a model the SDK deserializes exactly as it parses the rawId", (rawId) => {
    const model = identifierFromRawId(rawId);
    expect(model.rawId).toBe(rawId);
    const subObjects = ["communicationUser", "phoneNumber", "microsoftTeamsUser", "microsoftTeamsApp", "teamsExtensionUser"].filter(
      (k) => k in model,
    );
    expect(subObjects).toEqual(model.kind === "unknown" ? [] : [model.kind]);
    const fromSdk = deserializeCommunicationIdentifier(model);
    expect(getIdentifierRawId(fromSdk)).toBe(rawId);
    const expected = createIdentifierFromRawId(rawId);
    expect(fromSdk).toMatchObject(expected as object);
    // And what the SDK sends back for it names the same rawId.
    expect(rawIdFromModel(serializeCommunicationIdentifier(fromSdk))).toBe(rawId);
  });

  it("an 8:orgid: Teams user is a public, non-anonymous microsoftTeamsUser", () => {
    expect(identifierFromRawId("8:orgid:abc")).toEqual({
      kind: "microsoftTeamsUser",
      rawId: "8:orgid:abc",
      microsoftTeamsUser: { userId: "abc", isAnonymous: false, cloud: "public" },
    });
  });

  it("reads what the SDK serializes for each identifier kind", () => {
    const ids: Array<[CommunicationIdentifier, string]> = [
      [{ communicationUserId: "8:acs:r_u" }, "8:acs:r_u"],
      [{ phoneNumber: "+14255550123" }, "4:+14255550123"],
      [{ microsoftTeamsUserId: "oid" }, "8:orgid:oid"],
      [{ microsoftTeamsUserId: "oid", cloud: "dod" }, "8:dod:oid"],
      [{ microsoftTeamsUserId: "oid", isAnonymous: true }, "8:teamsvisitor:oid"],
      [{ teamsAppId: "app" }, "28:orgid:app"],
      [{ id: "whatever" }, "whatever"],
    ];
    for (const [id, rawId] of ids) expect(rawIdFromModel(serializeCommunicationIdentifier(id))).toBe(rawId);
    // Without rawId, the sub-object decides.
    expect(rawIdFromModel({ communicationUser: { id: "8:acs:r_u" } })).toBe("8:acs:r_u");
    expect(rawIdFromModel({ microsoftTeamsUser: { userId: "oid", cloud: "gcch" } })).toBe("8:gcch:oid");
  });

  it("refuses malformed models", () => {
    for (const bad of [
      null,
      "8:acs:x",
      [],
      {},
      { rawId: 5 },
      { rawId: "" },
      { communicationUser: {} },
      { communicationUser: { id: "8:acs:a" }, phoneNumber: { value: "+1" } },
      { rawId: "8:acs:a", communicationUser: { id: "8:acs:b" } },
      { microsoftTeamsUser: { cloud: "public" } },
      { rawId: "x".repeat(513) },
    ]) {
      expect(rawIdFromModel(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
