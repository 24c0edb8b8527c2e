import { createHash, randomBytes } from "node:crypto";

/** The sign-in page's flow over plain HTTP (no browser): for tests whose subject is what the tokens unlock. */
export async function signInOverHttp(options: {
  authority: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  username: string;
  password: string;
  /** Stop after the sign-in and return `{code}` (a code issued without PKCE when `pkce` is false). */
  codeOnly?: boolean;
  pkce?: boolean;
}): Promise<Record<string, any>> {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const params = new URLSearchParams({
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    response_type: "code",
    scope: options.scope,
    state: "s",
    prompt: "login",
    ...(options.pkce === false ? {} : { code_challenge: challenge, code_challenge_method: "S256" }),
  });
  const page = await fetch(`${options.authority}/oauth2/v2.0/authorize?${params}`);
  if (page.status !== 200) throw new Error(`authorize: ${page.status} ${await page.text()}`);
  const html = await page.text();
  const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
  const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&").replace(/&quot;/g, '"')]));
  const form = new URLSearchParams({ ...hidden, username: options.username, password: options.password });
  const posted = await fetch(`${options.authority}/oauth2/v2.0/authorize`, {
    method: "POST",
    body: form,
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    redirect: "manual",
  });
  const location = posted.headers.get("location");
  if (posted.status !== 302 || location === null) throw new Error(`sign-in: ${posted.status}`);
  const code = new URL(location).searchParams.get("code");
  if (code === null) throw new Error(`sign-in refused: ${location}`);
  if (options.codeOnly === true) return { code };
  const token = await fetch(`${options.authority}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: options.clientId, code, redirect_uri: options.redirectUri, code_verifier: verifier, scope: options.scope }),
  });
  const body = (await token.json()) as Record<string, any>;
  if (token.status !== 200) throw new Error(`token: ${JSON.stringify(body)}`);
  return body;
}
