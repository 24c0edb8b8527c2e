/** The ACS data plane's resource (token `aud`), the one place it is spelled. */
export const ACS_AUDIENCE = "https://communication.azure.com";
/** `aud` values of ACS data-plane tokens: with and without the trailing slash MSAL's `…//.default` adds. */
export const ACS_AUDIENCES: readonly string[] = [ACS_AUDIENCE, `${ACS_AUDIENCE}/`];
