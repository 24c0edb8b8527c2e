import { z } from "zod";

/** A role: what it allows, in Azure's shape (actions/notActions, dataActions/notDataActions, `*` wildcards). */
export interface RoleDefinition {
  name: string;
  description: string;
  builtIn: boolean;
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

const ACS = "Microsoft.Communication";

/** Built-in roles, modelled on Azure's roles of the same names. */
export const BUILT_IN_ROLES: readonly RoleDefinition[] = Object.freeze([
  {
    name: "Owner",
    description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    builtIn: true,
    actions: ["*"],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    name: "Contributor",
    description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
    builtIn: true,
    actions: ["*"],
    notActions: ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action"],
    dataActions: [],
    notDataActions: [],
  },
  {
    name: "Reader",
    description: "View all resources, but does not allow you to make any changes.",
    builtIn: true,
    actions: ["*/read"],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    name: "Communication and Email Service Owner",
    description: "Create, read, modify, and delete Communications and Email Service resources.",
    builtIn: true,
    actions: [`${ACS}/*`, "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*"],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
]);

/** Azure's wildcard semantics: `*` matches any run of characters; comparison is case-insensitive. */
const compiled = new Map<string, RegExp>();

export function matchesPattern(pattern: string, permission: string): boolean {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    if (compiled.size > 1000) compiled.clear();
    regex = compileWildcard(pattern);
    compiled.set(pattern, regex);
  }
  return regex.test(permission);
}

function compileWildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");
}

/** Whether a role grants a permission, through its actions or its dataActions (each minus its not-list). */
export function roleGrants(role: RoleDefinition, permission: string): boolean {
  const through = (allow: string[], deny: string[]) =>
    allow.some((p) => matchesPattern(p, permission)) && !deny.some((p) => matchesPattern(p, permission));
  return through(role.actions, role.notActions) || through(role.dataActions, role.notDataActions);
}

const permissionPattern = z.string().min(1).max(300).regex(/^[\w.*/-]+$/, "letters, digits, '.', '-', '_', '/' and '*' only");

/** The JSON a custom role is written in (`role create --file`); Azure's `Name`/`Actions` casing is accepted too. */
export const customRoleSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).default(""),
    actions: z.array(permissionPattern).default([]),
    notActions: z.array(permissionPattern).default([]),
    dataActions: z.array(permissionPattern).default([]),
    notDataActions: z.array(permissionPattern).default([]),
  })
  .refine((r) => r.actions.length + r.dataActions.length > 0, "a role needs at least one action or dataAction");

/** Parses a custom role from JSON text (camelCase or Azure's PascalCase keys; Azure's `permissions: [{…}]` form too). */
export function parseCustomRole(json: unknown): RoleDefinition {
  const lower = (o: unknown): Record<string, unknown> =>
    typeof o === "object" && o !== null && !Array.isArray(o)
      ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]))
      : {};
  const top = lower(json);
  const perms = Array.isArray(top.permissions) ? lower(top.permissions[0]) : {};
  const parsed = customRoleSchema.safeParse({ ...perms, ...top, permissions: undefined });
  if (!parsed.success) {
    throw new Error(`invalid role definition: ${parsed.error.issues.map((i) => `${i.path.join(".") || "role"}: ${i.message}`).join("; ")}`);
  }
  if (BUILT_IN_ROLES.some((b) => b.name.toLowerCase() === parsed.data.name.toLowerCase())) {
    throw new Error(`'${parsed.data.name}' is a built-in role`);
  }
  return { ...parsed.data, builtIn: false };
}
