import { connectionString, type Resource } from "../resources/resource.js";

export function endpointHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** What `switchboard start` prints: where to connect, with which connection strings, and how to trust the cert. */
export function renderBanner(options: {
  host: string;
  httpsPort: number;
  httpPort: number | undefined;
  certPath: string;
  resource: Resource;
  storeDescription: string;
  /** The built-in Entra ID authority's tenant, when the server runs one. */
  entraTenantId?: string;
  /** In memory: CLI commands cannot reach the state, so the banner does not suggest them. */
  inMemory?: boolean;
  /** The well-known development mode (insecure, published keys). */
  dev?: boolean;
  /** The default e-mail sender of the resource's managed domain. */
  emailSender?: string;
  /** The `switchboard env …` command that sets up a shell for this server, when there is one. */
  envCommand?: string;
}): string {
  const host = endpointHost(options.host);
  const httpsEndpoint = `https://${host}:${options.httpsPort}/`;
  const httpEndpoint = options.httpPort === undefined ? undefined : `http://${host}:${options.httpPort}/`;
  const r = options.resource;
  const lines = [
    "Switchboard is running.",
    ...(options.dev === true ? ["  mode:         well-known development mode (--dev): published keys, INSECURE, for local use only"] : []),
    `  store:        ${options.storeDescription}`,
    `  HTTPS:        ${httpsEndpoint}`,
    ...(httpEndpoint !== undefined ? [`  HTTP:         ${httpEndpoint}  (access keys only; SDK clients need { allowInsecureConnection: true })`] : []),
    `  JWKS:         ${httpsEndpoint}.well-known/jwks.json`,
    "",
    `Resource '${r.name}' (${r.id})`,
    `  primary   (HTTPS): ${connectionString(httpsEndpoint, r.keys.primary.value)}`,
    `  secondary (HTTPS): ${connectionString(httpsEndpoint, r.keys.secondary.value)}`,
    ...(httpEndpoint !== undefined
      ? [
          `  primary   (HTTP):  ${connectionString(httpEndpoint, r.keys.primary.value)}`,
          `  secondary (HTTP):  ${connectionString(httpEndpoint, r.keys.secondary.value)}`,
        ]
      : []),
    ...(options.emailSender !== undefined ? [`  e-mail sender:     ${options.emailSender}`] : []),
    "",
    ...(options.entraTenantId !== undefined
      ? [
          "Entra ID authority (@azure/identity with disableInstanceDiscovery: true):",
          `  AZURE_AUTHORITY_HOST=https://${host}:${options.httpsPort}  AZURE_TENANT_ID=${options.entraTenantId}`,
          options.inMemory === true
            ? "  service principals: not with --in-memory (CLI commands act on a store; start without --in-memory, or use --dev)"
            : "  service principal: switchboard sp create --name my-app --role Contributor",
          "",
        ]
      : []),
    `TLS certificate: ${options.certPath}`,
    `Trust it in Node clients:  export NODE_EXTRA_CA_CERTS=${options.certPath}`,
    ...(options.envCommand !== undefined ? [`Set up a shell:            eval "$(${options.envCommand})"`] : []),
    "",
  ];
  return lines.join("\n");
}
