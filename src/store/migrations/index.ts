import type { Migration } from "kysely";
import { foundationMigration } from "./0001-foundation.js";
import { entraMigration } from "./0002-entra.js";
import { chatMigration } from "./0003-chat.js";
import { messagingMigration } from "./0004-messaging.js";
import { activityMigration } from "./0005-activity.js";
import { callingMigration } from "./0006-calling.js";
import { scaleOutMigration } from "./0007-scale-out.js";
import { managementMigration } from "./0010-management.js";
import { signinMigration } from "./0011-signin.js";
import { eventsMigration } from "./0013-events.js";
import { consoleMigration } from "./0014-console.js";
import { replicasMigration } from "./0017-replicas.js";
import { createMigrationContext, type Dialect } from "./migration-context.js";

/**
 * Every migration, in order. Names sort lexically; a new feature appends `NNNN-name` here and never edits an
 * applied one. Both backends run exactly this list.
 */
export function allMigrations(dialect: Dialect): Record<string, Migration> {
  const ctx = createMigrationContext(dialect);
  return {
    "0001-foundation": foundationMigration(ctx),
    "0002-entra": entraMigration(ctx),
    "0003-chat": chatMigration(ctx),
    "0004-messaging": messagingMigration(ctx),
    "0005-activity": activityMigration(ctx),
    "0006-calling": callingMigration(ctx),
    "0007-scale-out": scaleOutMigration(ctx),
    "0010-management": managementMigration(ctx),
    "0011-signin": signinMigration(ctx),
    "0013-events": eventsMigration(ctx),
    "0014-console": consoleMigration(ctx),
    "0017-replicas": replicasMigration(ctx),
  };
}

/**
 * The migrations of the activity record's own SQLite file (src/activity/activity-storage.ts), where a data directory
 * keeps it apart from switchboard.db. A change to `activity_events` is a migration in both lists.
 */
export function activityFileMigrations(): Record<string, Migration> {
  return { "0001-activity": activityMigration(createMigrationContext("sqlite")) };
}
