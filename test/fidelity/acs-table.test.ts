import { PhoneNumbersClient } from "@azure/communication-phone-numbers";
import { PhoneNumbersClient as PhoneNumbersClient10 } from "@azure/communication-phone-numbers-1.0";
import { SmsClient } from "@azure/communication-sms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChatFixture, collect, type ChatFixture } from "../chat/chat-fixture.js";
import { buyNumbers, readOutbox } from "../messaging/helpers.js";
import { backendNames } from "../support/backends.js";

/**
 * The rows of issue 20's table: what live ACS answers, as the Azure SDK for JS's own live tests assert it
 * (sdk/communication/*\/test), driven here through the official SDK clients against a listening server.
 */
const NO_RETRY = { retryOptions: { maxRetries: 0 } };
/** An id of no resource of the key (the SDK live tests' fake user). */
const FOREIGN_USER = { communicationUserId: "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000" };

describe.each(backendNames)("ACS behaviour the SDK live tests assert (%s)", (backend) => {
  let fx: ChatFixture;
  let sender: string;
  beforeAll(async () => {
    fx = await startChatFixture({ backend });
    [sender] = await buyNumbers(fx.srv);
  });
  afterAll(async () => {
    await fx?.srv.close();
  });
  const sms = () => new SmsClient(fx.srv.connectionString("https"), NO_RETRY);
  const phone = () => new PhoneNumbersClient(fx.srv.connectionString("https"), NO_RETRY);

  describe("identity", () => {
    it("getToken with no scopes: 400, 'Invalid scopes - Scopes field is required.'", async () => {
      const user = await fx.identity.createUser();
      // Recorded: {"error":{"code":"ValidationError","message":"Invalid scopes - Scopes field is required.","target":"scopes"}}
      const error = await fx.identity.getToken(user, []).catch((e: unknown) => e);
      expect(error).toMatchObject({ statusCode: 400, code: "ValidationError", message: "Invalid scopes - Scopes field is required." });
      expect(JSON.parse((error as { response: { bodyAsText: string } }).response.bodyAsText)).toEqual({
        error: { code: "ValidationError", message: "Invalid scopes - Scopes field is required.", target: "scopes" },
      });
    });

    it("issue token / revoke / delete for an id of no resource of this key: 401", async () => {
      for (const call of [
        () => fx.identity.getToken(FOREIGN_USER, ["chat", "voip"]),
        () => fx.identity.revokeTokens(FOREIGN_USER),
        () => fx.identity.deleteUser(FOREIGN_USER),
      ]) {
        // Recorded: 401 {"error":{"code":"IdentityNotOwned","message":"Provided identity doesn't belong to the resource."}}
        await expect(call()).rejects.toMatchObject({ statusCode: 401, code: "IdentityNotOwned", message: "Provided identity doesn't belong to the resource." });
      }
    });

    it("an id of this resource that does not exist stays a 404 IdentityNotFound", async () => {
      const user = await fx.identity.createUser();
      await fx.identity.deleteUser(user);
      await expect(fx.identity.getToken(user, ["chat"])).rejects.toMatchObject({ statusCode: 404, code: "IdentityNotFound" });
    });

    it("getTokenForTeamsUser with an empty token or a token that is no JWT: 401 InvalidAccessToken", async () => {
      const ids = { clientId: "00000000-0000-0000-0000-000000000001", userObjectId: "00000000-0000-0000-0000-000000000002" };
      const invalid = { statusCode: 401, code: "InvalidAccessToken", message: "Provided access token is not valid." };
      await expect(fx.identity.getTokenForTeamsUser({ teamsUserAadToken: "", ...ids })).rejects.toMatchObject(invalid);
      await expect(fx.identity.getTokenForTeamsUser({ teamsUserAadToken: "invalid", ...ids })).rejects.toMatchObject(invalid);
    });

    it("getTokenForTeamsUser with an empty or malformed clientId / userObjectId: 400 ValidationError naming the field", async () => {
      const token = "invalid";
      const guid = "00000000-0000-0000-0000-000000000001";
      const cases = [
        [{ clientId: "", userObjectId: guid }, "AppId", "AppId: The AppId field is required."],
        [{ clientId: guid, userObjectId: "" }, "UserId", "UserId: The UserId field is required."],
        [{ clientId: "invalid", userObjectId: guid }, "appId", "Provided AppId has invalid format."],
        [{ clientId: guid, userObjectId: "invalid" }, "userId", "Provided UserId has invalid format."],
      ] as const;
      for (const [ids, target, message] of cases) {
        const error = await fx.identity.getTokenForTeamsUser({ teamsUserAadToken: token, ...ids }).catch((e: unknown) => e);
        expect(error).toMatchObject({ statusCode: 400, code: "ValidationError", message });
        expect(JSON.parse((error as { response: { bodyAsText: string } }).response.bodyAsText).error.target).toBe(target);
      }
    });
  });

  describe("chat", () => {
    it("PATCH retentionPolicy null, then GET: retentionPolicy {kind: 'none'}", async () => {
      const alice = await fx.newUser();
      const { chatThread } = await alice.chat.createChatThread(
        { topic: "retention" },
        { retentionPolicy: { kind: "threadCreationDate", deleteThreadAfterDays: 40 } },
      );
      const thread = alice.chat.getChatThreadClient(chatThread!.id);
      expect((await thread.getProperties()).retentionPolicy).toEqual({ kind: "threadCreationDate", deleteThreadAfterDays: 40 });
      await thread.updateProperties({ retentionPolicy: null as never });
      expect((await thread.getProperties()).retentionPolicy).toEqual({ kind: "none" });
      // Stored, not computed per request: a second client reads the same.
      expect((await fx.chatClient(alice.token).getChatThreadClient(chatThread!.id).getProperties()).retentionPolicy).toEqual({ kind: "none" });
    });

    it("removing an identity that is not in the thread succeeds and changes nothing", async () => {
      const alice = await fx.newUser();
      const stranger = await fx.newUser();
      const { chatThread } = await alice.chat.createChatThread({ topic: "remove" });
      const thread = alice.chat.getChatThreadClient(chatThread!.id);
      const before = await collect(thread.listMessages());
      await expect(thread.removeParticipant(stranger.user)).resolves.toBeUndefined();
      const participants = await collect(thread.listParticipants());
      expect(participants.map((p) => (p.id as { communicationUserId: string }).communicationUserId)).toEqual([alice.id]);
      // No participantRemoved system message for a no-op.
      expect(await collect(thread.listMessages())).toHaveLength(before.length);
    });
  });

  describe("sms", () => {
    it("a recipient too long for +1 among valid ones fails alone: 400 'Unknown country code.'", async () => {
      const before = (await readOutbox(fx.srv)).length;
      const results = await sms().send({ from: sender!, to: ["+14255550123", "+1425555012345"], message: "test message" });
      expect(results).toHaveLength(2);
      expect(results[0]).toMatchObject({ to: "+14255550123", httpStatusCode: 202, successful: true, repeatabilityResult: "accepted" });
      expect(results[0]!.messageId).toEqual(expect.any(String));
      expect(results[0]!.errorMessage).toBeUndefined();
      // Recorded item shape: exactly these four fields (no messageId, no repeatabilityResult).
      expect(results[1]).toEqual({ to: "+1425555012345", httpStatusCode: 400, successful: false, errorMessage: "Unknown country code." });
      expect((await readOutbox(fx.srv)).length).toBe(before + 1);
    });

    it("a recipient that is not E.164 at all: 400 'Invalid To phone number format.'", async () => {
      const [bad] = await sms().send({ from: sender!, to: ["4255550123"], message: "x" });
      expect(bad).toMatchObject({ to: "4255550123", httpStatusCode: 400, successful: false, errorMessage: "Invalid To phone number format." });
    });

    it("sending from a number the resource does not own, or from an invalid number: 401", async () => {
      for (const from of ["+14255550123", "+1425555012345"]) {
        // Recorded (not owned): 401 {"error":{"code":"Unauthorized","message":""}}.
        await expect(sms().send({ from, to: ["+14255550123"], message: "x" }, { enableDeliveryReport: true, tag: "t" })).rejects.toMatchObject({
          statusCode: 401,
          code: "Unauthorized",
        });
      }
    });
  });

  describe("phone numbers", () => {
    it("searching an offering that does not exist (US toll-free, person) fails on the search request: 400", async () => {
      const opsBefore = await fx.srv.server.core.store.db.selectFrom("phone_number_operations").select("id").execute();
      await expect(
        phone().beginSearchAvailablePhoneNumbers({
          countryCode: "US",
          phoneNumberType: "tollFree",
          assignmentType: "person",
          capabilities: { sms: "inbound+outbound", calling: "none" },
        }),
      ).rejects.toMatchObject({ statusCode: 400, code: "OfferingNotFound", message: "We are unable to find phone plans to match your requested capabilities." });
      const opsAfter = await fx.srv.server.core.store.db.selectFrom("phone_number_operations").select("id").execute();
      expect(opsAfter).toHaveLength(opsBefore.length);
    });

    it.each([
      ["2025-06-01 (SDK 1.5)", () => phone()],
      ["2021-03-07 (SDK 1.0)", () => new PhoneNumbersClient10(fx.srv.connectionString("https"), NO_RETRY)],
    ] as const)("a number not owned, api-version %s: 404 NotFound, 'Input phoneNumber … cannot be found.', target phonenumber", async (_v, client) => {
      // Recorded for every api-version from 2021-03-07 on.
      const error = await client().getPurchasedPhoneNumber("+14155550100").catch((e: unknown) => e);
      expect(error).toMatchObject({ statusCode: 404, code: "NotFound", message: "Input phoneNumber +14155550100 cannot be found." });
      expect(JSON.parse((error as { response: { bodyAsText: string } }).response.bodyAsText)).toEqual({
        error: { code: "NotFound", message: "Input phoneNumber +14155550100 cannot be found.", target: "phonenumber" },
      });
    });
  });
});
