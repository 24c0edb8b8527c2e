import type { DeviceCodes } from "./device-codes.js";
import { entraFail } from "../../errors/entra-errors.js";
import { authenticateSigninClient } from "./signin-client.js";
import { requireUser, type SigninGrant, type SigninGrantDeps } from "./signin-grant.js";
import { resolveUserScopes } from "./user-scopes.js";
import { userTokenResponse } from "./user-token-response.js";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** The device's poll: authorization_pending until the user approves the code on the device page. */
export function deviceCodeGrant(deps: SigninGrantDeps & { deviceCodes: DeviceCodes }): SigninGrant {
  return async (form, request) => {
    const { client, auth } = await authenticateSigninClient(form, deps.principals, deps.apps);
    request.annotate({ grant: "device_code", clientId: client.clientId! });
    const deviceCode = form.device_code ?? form.code ?? "";
    if (deviceCode === "") entraFail("MissingParameter", "device_code");
    const polled = await deps.deviceCodes.poll(deviceCode, client.clientId!);
    switch (polled.state) {
      case "pending":
        return entraFail("AuthorizationPending");
      case "expired":
        return entraFail("DeviceCodeExpired");
      case "used":
        return entraFail("DeviceCodeRedeemed");
      case "unknown":
      case "client":
        return entraFail("DeviceCodeInvalid");
      default:
        break;
    }
    const approved = polled as Extract<typeof polled, { state: "approved" }>;
    const user = await requireUser(deps.principals, approved.userObjectId);
    request.setSubject(`entra-user:${user.objectId}`);
    const scopes = await resolveUserScopes(approved.scope, client.clientId!, deps.apps);
    if (!scopes.ok) throw scopes.failure;
    return userTokenResponse(deps, { issuer: request.issuer, user, client, clientAuth: auth, scopes, scopeString: approved.scope, nonce: null });
  };
}
