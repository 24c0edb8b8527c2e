import { readFileSync } from "node:fs";
import path from "node:path";
import { AzureCommunicationTokenCredential } from "@azure/communication-common";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managedDomainOf } from "../../src/email/email-domains.js";
import { createSp, type CreatedSp } from "../entra/entra-support.js";
import { buyNumbers } from "../messaging/helpers.js";
import { backendNames } from "../support/backends.js";
import { apiVersionsOf, startRecordingProxy, type RecordingProxy } from "../support/recording-proxy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { sdkReleases, type SdkRelease, type Service } from "./sdk-releases.js";

/**
 * Every release of sdk-releases.ts runs its service's core flow against a listening server, through a recording
 * proxy: the flow must succeed, including the errors ACS gives, and every request must carry the release's
 * api-version. Bounded: one flow per release, no paging marathons.
 */
const NO_RETRY = { retryOptions: { maxRetries: 0 } };

function versionOf(module: string): string {
  return JSON.parse(readFileSync(path.join(process.cwd(), "node_modules", module, "package.json"), "utf8")).version;
}

interface FlowContext {
  srv: TestServer;
  proxy: RecordingProxy;
  /** Connection string whose endpoint is the recording proxy. */
  cs: string;
  sender: string;
  sp: CreatedSp;
}

type Flow = (sdk: any, release: SdkRelease, fx: FlowContext) => Promise<void>;

const flows: Record<Service, Flow> = {
  async identity(sdk, _release, fx) {
    const client = new sdk.CommunicationIdentityClient(fx.cs, NO_RETRY);
    const user = await client.createUser();
    const { user: withToken, token } = await client.createUserAndToken(["chat"]);
    expect(token.split(".")).toHaveLength(3);
    expect((await client.getToken(user, ["voip"])).expiresOn).toBeInstanceOf(Date);
    await expect(client.getToken(withToken, [])).rejects.toMatchObject({ statusCode: 400, message: "Invalid scopes - Scopes field is required." });
    await client.revokeTokens(withToken);
    await client.deleteUser(user);
    await expect(client.getToken(user, ["chat"])).rejects.toMatchObject({ statusCode: 404 });
  },

  async chat(sdk, _release, fx) {
    const identity = new CommunicationIdentityClient(fx.srv.connectionString("https"));
    const alice = await identity.createUserAndToken(["chat"]);
    const bob = await identity.createUser();
    const chat = new sdk.ChatClient(fx.proxy.url, new AzureCommunicationTokenCredential(alice.token), NO_RETRY);
    const { chatThread } = await chat.createChatThread({ topic: "matrix" }, { participants: [{ id: alice.user }, { id: bob }] });
    const thread = chat.getChatThreadClient(chatThread.id);
    const { id } = await thread.sendMessage({ content: "hello" });
    expect((await thread.getMessage(id)).content.message).toBe("hello");
    const participants = [];
    for await (const p of thread.listParticipants()) participants.push(p);
    expect(participants).toHaveLength(2);
    await thread.removeParticipant(bob);
    await thread.removeParticipant(bob); // not a participant any more: still a success, as ACS
    await chat.deleteChatThread(chatThread.id);
  },

  async sms(sdk, release, fx) {
    const client = new sdk.SmsClient(fx.cs, NO_RETRY);
    const results = await client.send({ from: fx.sender, to: ["+14255550123", "+1425555012345"], message: "matrix" });
    expect(results.map((r: { httpStatusCode: number }) => r.httpStatusCode)).toEqual([202, 400]);
    expect(results[1]).toMatchObject({ successful: false, errorMessage: "Unknown country code." });
    await expect(client.send({ from: "+14255550123", to: ["+14255550123"], message: "x" })).rejects.toMatchObject({ statusCode: 401 });
    if (release.optOuts === true) {
      // The SDK maps a missing errorMessage to "".
      expect(await client.optOuts.add(fx.sender, ["+14255550124"])).toMatchObject([{ to: "+14255550124", httpStatusCode: 200 }]);
      expect(await client.optOuts.check(fx.sender, ["+14255550124"])).toMatchObject([{ to: "+14255550124", httpStatusCode: 200, isOptedOut: true }]);
      expect(await client.optOuts.remove(fx.sender, ["+14255550124"])).toMatchObject([{ to: "+14255550124", httpStatusCode: 200 }]);
      expect(await client.optOuts.check(fx.sender, ["+14255550124"])).toMatchObject([{ to: "+14255550124", httpStatusCode: 200, isOptedOut: false }]);
    }
  },

  async email(sdk, _release, fx) {
    const client = new sdk.EmailClient(fx.cs, NO_RETRY);
    const poller = await client.beginSend({
      senderAddress: `DoNotReply@${managedDomainOf(fx.srv.resource.id)}`,
      content: { subject: "matrix", plainText: "hello" },
      recipients: { to: [{ address: "alice@example.com" }] },
    });
    expect(await poller.pollUntilDone()).toMatchObject({ status: "Succeeded" });
  },

  async phoneNumbers(sdk, _release, fx) {
    const client = new sdk.PhoneNumbersClient(fx.cs, NO_RETRY);
    const search = await (
      await client.beginSearchAvailablePhoneNumbers({
        countryCode: "US",
        phoneNumberType: "geographic",
        assignmentType: "application",
        capabilities: { calling: "inbound", sms: "none" },
        areaCode: "425",
        quantity: 1,
      })
    ).pollUntilDone();
    expect(search.phoneNumbers).toHaveLength(1);
    await (await client.beginPurchasePhoneNumbers(search.searchId)).pollUntilDone();
    expect((await client.getPurchasedPhoneNumber(search.phoneNumbers[0])).phoneNumber).toBe(search.phoneNumbers[0]);
    await expect(client.getPurchasedPhoneNumber("+14155550100")).rejects.toMatchObject({ statusCode: 404, code: "NotFound" });
  },

  async entra(sdk, _release, fx) {
    const credential = new sdk.ClientSecretCredential(fx.sp.tenantId, fx.sp.clientId, fx.sp.clientSecret!, {
      authorityHost: fx.srv.httpsUrl,
      disableInstanceDiscovery: true,
    });
    const client = new CommunicationIdentityClient(`${fx.proxy.url}/`, credential, NO_RETRY);
    const user = await client.createUser();
    expect(user.communicationUserId).toMatch(/^8:acs:/);
    await client.deleteUser(user);
  },
};

describe.each(backendNames)("SDK version matrix (%s)", (backend) => {
  let fx: FlowContext;
  beforeAll(async () => {
    const srv = await startTestServer({ backend });
    const proxy = await startRecordingProxy(srv.httpsUrl);
    const [sender] = await buyNumbers(srv);
    const sp = await createSp(srv, "matrix-app", ["--role", "Contributor", "--authority-host", srv.httpsUrl]);
    fx = { srv, proxy, cs: `endpoint=${proxy.url}/;accesskey=${srv.resource.keys.primary.value}`, sender: sender!, sp };
  });
  afterAll(async () => {
    await fx?.proxy.close();
    await fx?.srv.close();
  });

  it.each(sdkReleases.map((r) => [`${r.module}@${versionOf(r.module)}`, r] as const))("%s: core flow, every request on its api-version", async (_name, release) => {
    fx.proxy.take();
    await flows[release.service](await release.load(), release, fx);
    const requests = fx.proxy.take();
    expect(requests.length).toBeGreaterThan(0);
    expect(new Set(apiVersionsOf(requests))).toEqual(new Set([release.sends]));
  });
});
