import { UsernamePasswordCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendNames } from "../support/backends.js";
import { createSp, runCli, type CreatedSp } from "../entra/entra-support.js";
import { collect, startChatFixture, type ChatFixture } from "./chat-fixture.js";

const TEAMS_SCOPE = "https://auth.msft.communication.azure.com/Teams.ManageChats";
const PASSWORD = "correct horse battery";

/** A Teams user from the real token exchange (getTokenForTeamsUser) chatting with an ACS user. */
describe.each(backendNames)("Chat with a Teams user from the token exchange (%s)", (backend) => {
  let fx: ChatFixture;
  let app: CreatedSp;
  let tom: { objectId: string };
  beforeAll(async () => {
    fx = await startChatFixture({ backend });
    app = await createSp(fx.srv, "teams-chat-app", ["--role", "Contributor"]);
    tom = JSON.parse(await runCli(fx.srv, ["user", "create", "--name", "tom@contoso.test", "--password", PASSWORD, "--json"]));
  });
  afterAll(async () => {
    await fx.srv.close();
  });

  it("an 8:orgid: user can be added, chats with its exchanged token and is serialized as microsoftTeamsUser", async () => {
    const teams = await new UsernamePasswordCredential(app.tenantId, app.clientId, "tom@contoso.test", PASSWORD, {
      authorityHost: fx.srv.httpsUrl,
      disableInstanceDiscovery: true,
    }).getToken(TEAMS_SCOPE);
    const exchanged = await fx.identity.getTokenForTeamsUser({ teamsUserAadToken: teams.token, clientId: app.clientId, userObjectId: tom.objectId });
    const tomId = { kind: "microsoftTeamsUser", microsoftTeamsUserId: tom.objectId, isAnonymous: false, cloud: "public", rawId: `8:orgid:${tom.objectId}` };

    const alice = await fx.newUser();
    const created = await alice.chat.createChatThread({ topic: "with Teams" }, { participants: [{ id: { microsoftTeamsUserId: tom.objectId }, displayName: "Tom" }] });
    expect(created.invalidParticipants).toBeUndefined();
    const threadId = created.chatThread!.id;

    const tomChat = fx.chatClient(exchanged.token);
    expect((await collect(tomChat.listChatThreads())).map((t) => t.id)).toEqual([threadId]);
    const { id } = await tomChat.getChatThreadClient(threadId).sendMessage({ content: "hello from Teams" }, { senderDisplayName: "Tom" });

    const message = await alice.chat.getChatThreadClient(threadId).getMessage(id);
    expect(message.sender).toEqual(tomId);
    expect(message.content?.message).toBe("hello from Teams");
    const participants = await collect(tomChat.getChatThreadClient(threadId).listParticipants());
    expect(participants).toEqual(expect.arrayContaining([{ id: tomId, displayName: "Tom" }]));
  });
});
