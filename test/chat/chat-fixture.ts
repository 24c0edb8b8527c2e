import { ChatClient } from "@azure/communication-chat";
import { AzureCommunicationTokenCredential, type CommunicationUserIdentifier } from "@azure/communication-common";
import { CommunicationIdentityClient, type TokenScope } from "@azure/communication-identity";
import { startTestServer, type TestServer, type TestServerOptions } from "../support/test-server.js";

export interface ChatUser {
  user: CommunicationUserIdentifier;
  id: string;
  token: string;
  chat: ChatClient;
}

/** A test server plus helpers to make SDK users with chat tokens. */
export interface ChatFixture {
  srv: TestServer;
  readonly identity: CommunicationIdentityClient;
  newUser(scopes?: TokenScope[]): Promise<ChatUser>;
  chatClient(token: string, endpoint?: string): ChatClient;
  /** A raw HTTPS call with a bearer token (negative cases the SDK cannot produce). */
  call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
}

const NO_RETRY = { retryOptions: { maxRetries: 0 } };

export async function startChatFixture(options: TestServerOptions = {}): Promise<ChatFixture> {
  const srv = await startTestServer(options);
  const chatClient = (token: string, endpoint = srv.httpsUrl) => new ChatClient(endpoint, new AzureCommunicationTokenCredential(token), NO_RETRY);
  return {
    srv,
    // Built per use: after a key regeneration the current key signs.
    get identity() {
      return new CommunicationIdentityClient(srv.connectionString("https"));
    },
    chatClient,
    async newUser(scopes: TokenScope[] = ["chat"]) {
      const { user, token } = await new CommunicationIdentityClient(srv.connectionString("https")).createUserAndToken(scopes);
      return { user, id: user.communicationUserId, token, chat: chatClient(token) };
    },
    async call(token, method, path, body) {
      const url = path.startsWith("http") ? path : `${srv.httpsUrl}${path}`;
      const res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
}

export const API = "api-version=2025-03-15";
export const enc = encodeURIComponent;

export async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iter) out.push(x);
  return out;
}
