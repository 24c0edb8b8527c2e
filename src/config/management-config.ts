import { z } from "zod";

/** Resource names: ARM's rule for communicationServices (1–63 word characters or hyphens). */
export const RESOURCE_NAME = /^[-\w]{1,63}$/;

/** The management plane and the resources it manages (docs/management.md). */
export const managementConfigSchema = z
  .object({
    /** The server's one subscription id; default: a GUID created on first start. */
    subscriptionId: z
      .guid("must be a GUID (8-4-4-4-12 hexadecimal digits)")
      .transform((v) => v.toLowerCase())
      .optional(),
    /** The resource group of the development resource created on first start. */
    defaultResourceGroup: z.string().regex(/^[-\w._()]{1,90}$/, "must be 1–90 letters, digits, '-', '_', '.', '(' or ')'").default("switchboard-dev"),
    /** The dataLocation of resources created without one. */
    dataLocation: z.string().min(1).max(100).default("United States"),
    /**
     * Behind a reverse proxy: resources are told apart by Host `<name>.<domain>` and announced as
     * `https://<name>.<domain>/`. Unset: each resource has its own HTTPS port on this machine.
     */
    domain: z.string().regex(/^(?=.{1,200}$)([a-z0-9-]+\.)*[a-z0-9-]+$/i, "must be a DNS name").optional(),
    /**
     * The first of the resources' own HTTPS ports (each new resource takes the next free one, kept in the store).
     * Default: the HTTPS port + 1; with port 0, every resource listens on an ephemeral port of its own.
     */
    resourcePortBase: z.number().int().min(1).max(65535).optional(),
    /** How long create and delete stay `Running` for the SDK's poller (0: done at once). */
    operationDelayMs: z.number().int().min(0).max(600_000).default(0),
    /** Items per page of the list operations (then `nextLink`). */
    pageSize: z.number().int().min(1).max(1000).default(100),
  })
  .prefault({});

export type ManagementConfig = z.infer<typeof managementConfigSchema>;
