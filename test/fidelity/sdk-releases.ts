/**
 * The SDK version matrix: each release of the last two years that npm serves, installed side by side under an npm
 * alias in package.json (e.g. `"@azure/communication-identity-1.2": "npm:@azure/communication-identity@1.2.0"`).
 * Adding a release is one alias in package.json and one line here; sdk-matrix.test.ts runs its service's core flow
 * and checks that every request it made carried `sends`, the api-version that release sends by default.
 * The same list is the "api-versions each SDK release sends" table of docs/fidelity.md.
 */
export type Service = "identity" | "chat" | "sms" | "email" | "phoneNumbers" | "entra";

export interface SdkRelease {
  service: Service;
  /** The installed package name (an npm alias for older releases). */
  module: string;
  /** The api-version this release puts on every ACS request. */
  sends: string;
  /** SMS releases with the Opt-Outs client (`optOuts.add/check/remove`). */
  optOuts?: true;
  /** The package module (release APIs differ; each flow uses what they share). */
  load(): Promise<any>;
}

export const sdkReleases: readonly SdkRelease[] = [
  { service: "identity", module: "@azure/communication-identity", sends: "2023-10-01", load: () => import("@azure/communication-identity") },
  { service: "identity", module: "@azure/communication-identity-1.2", sends: "2022-10-01", load: () => import("@azure/communication-identity-1.2") },
  { service: "chat", module: "@azure/communication-chat", sends: "2025-03-15", load: () => import("@azure/communication-chat") },
  { service: "chat", module: "@azure/communication-chat-1.5", sends: "2024-03-07", load: () => import("@azure/communication-chat-1.5") },
  { service: "sms", module: "@azure/communication-sms", sends: "2021-03-07", load: () => import("@azure/communication-sms") },
  { service: "sms", module: "@azure/communication-sms-1.2-beta3", sends: "2024-12-10-preview", optOuts: true, load: () => import("@azure/communication-sms-1.2-beta3") },
  { service: "sms", module: "@azure/communication-sms-1.2-beta", sends: "2025-05-29-preview", optOuts: true, load: () => import("@azure/communication-sms-1.2-beta") },
  { service: "email", module: "@azure/communication-email", sends: "2025-09-01", load: () => import("@azure/communication-email") },
  { service: "email", module: "@azure/communication-email-1.0", sends: "2023-03-31", load: () => import("@azure/communication-email-1.0") },
  { service: "phoneNumbers", module: "@azure/communication-phone-numbers", sends: "2025-06-01", load: () => import("@azure/communication-phone-numbers") },
  { service: "phoneNumbers", module: "@azure/communication-phone-numbers-1.0", sends: "2021-03-07", load: () => import("@azure/communication-phone-numbers-1.0") },
  // @azure/identity credentials, used with the current Identity client (its api-version is the one recorded).
  { service: "entra", module: "@azure/identity", sends: "2023-10-01", load: () => import("@azure/identity") },
  { service: "entra", module: "@azure/identity-3", sends: "2023-10-01", load: () => import("@azure/identity-3") },
];
