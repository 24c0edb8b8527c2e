import { ALL_RESOURCES } from "./role-store.js";

/**
 * ARM scopes of role assignments: `/subscriptions/{id}`, `/subscriptions/{id}/resourceGroups/{rg}`, or one resource's
 * ARM id. Older assignments name a resource by its immutable id (a GUID) or `*` (every resource); both keep working.
 * An assignment covers a target if it is the target or one of its ancestors (whole path segments, case-insensitive,
 * as in Azure).
 */
export interface ScopeTarget {
  /** The ARM id (or subscription / resource group path) the operation acts on. */
  armId: string;
  /** The immutable resource id, when the target is one resource. */
  resourceId?: string | undefined;
}

export function normalizeArmScope(scope: string): string {
  return scope.trim().replace(/\/+$/, "").toLowerCase();
}

export function isArmScope(scope: string): boolean {
  return /^\/subscriptions\/[^/]+(\/resourcegroups\/[^/]+(\/providers\/[^/]+\/[^/]+\/[^/]+)?)?$/i.test(scope.replace(/\/+$/, ""));
}

export function scopeCovers(assignmentScope: string, target: ScopeTarget): boolean {
  if (assignmentScope === ALL_RESOURCES) return true;
  if (target.resourceId !== undefined && assignmentScope.toLowerCase() === target.resourceId.toLowerCase()) return true;
  if (!assignmentScope.startsWith("/")) return false;
  const scope = normalizeArmScope(assignmentScope);
  const armId = normalizeArmScope(target.armId);
  return armId === scope || armId.startsWith(`${scope}/`);
}

/**
 * Whether an assignment reaches anything at or below `scope` (a list at a subscription or resource group shows what
 * the caller may read there).
 */
export function scopeReachesInto(assignmentScope: string, scope: string): boolean {
  if (assignmentScope === ALL_RESOURCES) return true;
  if (!assignmentScope.startsWith("/")) return true; // a resource id: the list filters by resource
  const a = normalizeArmScope(assignmentScope);
  const s = normalizeArmScope(scope);
  return a === s || a.startsWith(`${s}/`) || s.startsWith(`${a}/`);
}
