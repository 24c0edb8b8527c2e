import { AcsError } from "../errors/acs-errors.js";

/**
 * ACS's answers for `POST /teamsUser/:exchangeAccessToken`, as its recorded sessions show them (Azure SDK for JS,
 * communication-identity recordings, api-versions 2022-06-01 and 2022-10-01):
 * - an empty or malformed appId / userId: 400 `ValidationError` naming the field;
 * - a token that does not verify for any reason (empty, not a JWT, expired, untrusted, an app token): 401
 *   `InvalidAccessToken`, "Provided access token is not valid." — the reason is not told;
 * - an appId / userId that is a GUID but not the token's appid / oid: the same 400 as a malformed one.
 */
export const INVALID_ACCESS_TOKEN_MESSAGE = "Provided access token is not valid.";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkTeamsExchangeIds(body: { appId: string; userId: string }): void {
  if (body.appId === "") throw validation("AppId", "AppId: The AppId field is required.");
  if (body.userId === "") throw validation("UserId", "UserId: The UserId field is required.");
  if (!GUID.test(body.appId)) throw appIdInvalid();
  if (!GUID.test(body.userId)) throw userIdInvalid();
}

/** Runs the exchange and answers its refusals as ACS does; `onRefused` receives Switchboard's own reason (for logs). */
export async function withTeamsExchangeErrors<T>(run: () => Promise<T>, onRefused: (reason: string) => void): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof AcsError)) throw error;
    if (error.code === "TeamsAppIdMismatch" || error.code === "TeamsUserIdMismatch" || (error.status === 401 && error.code !== "IdentityDeleted")) {
      onRefused(error.code);
    }
    if (error.code === "TeamsAppIdMismatch") throw appIdInvalid();
    if (error.code === "TeamsUserIdMismatch") throw userIdInvalid();
    if (error.status === 401 && error.code !== "IdentityDeleted") throw new AcsError("InvalidAccessToken", INVALID_ACCESS_TOKEN_MESSAGE);
    throw error;
  }
}

function validation(target: string, message: string): AcsError {
  return new AcsError("ValidationError", message, { target });
}

const appIdInvalid = () => validation("appId", "Provided AppId has invalid format.");
const userIdInvalid = () => validation("userId", "Provided UserId has invalid format.");
