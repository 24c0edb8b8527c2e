/** The resource the Azure management plane is called for (`az`, the ARM SDKs' default credential scope). */
export const MANAGEMENT_AUDIENCE = "https://management.azure.com";
/** Azure's older name for the same audience; tools still ask for it. */
export const LEGACY_MANAGEMENT_AUDIENCE = "https://management.core.windows.net";

/**
 * The resources (token `aud` values without the trailing slash) the management plane accepts: Azure's, and this
 * server itself as the client addressed it (an ARM client with `endpoint` set asks for `<endpoint>/.default`).
 */
export function managementResources(baseUrl: string): string[] {
  return [MANAGEMENT_AUDIENCE, LEGACY_MANAGEMENT_AUDIENCE, baseUrl.replace(/\/+$/, "")];
}

/** Accepted `aud` values: each resource with and without the trailing slash. */
export function managementAudiences(baseUrl: string): string[] {
  return managementResources(baseUrl).flatMap((r) => [r, `${r}/`]);
}
