import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from "kysely";

/** Starts every transaction with BEGIN IMMEDIATE: the write lock is taken first, waiting up to busy_timeout. */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/**
 * Kysely's SQLite dialect with BEGIN IMMEDIATE transactions. With the default deferred BEGIN, a transaction that
 * reads before it writes (a migration run, "create a signing key if none is active") fails at once with SQLITE_BUSY
 * when another process (a CLI command, a second server) wrote meanwhile; taking the lock first makes such
 * transactions queue behind each other instead, like PostgreSQL's.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqliteConfig: SqliteDialectConfig) {
    super(sqliteConfig);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.sqliteConfig);
  }
}
