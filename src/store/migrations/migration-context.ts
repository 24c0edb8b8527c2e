import { sql, type CreateTableBuilder, type Kysely } from "kysely";

export type Dialect = "sqlite" | "postgres";

/** The few things a migration may need to know about the backend. Everything else is one portable query. */
export interface MigrationContext {
  dialect: Dialect;
  /** A table whose first column `id` is a database-generated, increasing integer key. */
  createTableWithAutoId(db: Kysely<unknown>, table: string): CreateTableBuilder<string, "id">;
}

export function createMigrationContext(dialect: Dialect): MigrationContext {
  return {
    dialect,
    createTableWithAutoId(db, table) {
      return dialect === "sqlite"
        ? db.schema.createTable(table).addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        : db.schema.createTable(table).addColumn("id", sql`bigint generated always as identity`, (c) => c.primaryKey());
    },
  };
}
