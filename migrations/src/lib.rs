//! Gilde's database schema and its migrations, embedded per backend.
//!
//! The two trees `sqlite/` and `postgres/` hold migrations with the same folder names; they differ
//! only where the SQL dialects do (auto-increment ids, boolean literals).

pub mod schema;

use diesel_migrations::{embed_migrations, EmbeddedMigrations};

/// Migrations for SQLite (`INTEGER PRIMARY KEY` ids).
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("sqlite");
/// Migrations for PostgreSQL (`BIGSERIAL` ids).
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("postgres");

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// This package's folder, as `cargo test` says when it runs the tests (a test binary built
    /// from another checkout must still read this one); the compiled-in path is the fallback.
    fn manifest_dir() -> std::path::PathBuf {
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
    }

    fn migration_names(tree: &str) -> BTreeSet<String> {
        let dir = manifest_dir().join(tree);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn every_migration_folder_is_embedded() {
        use diesel::migration::MigrationSource;
        let embedded =
            <diesel_migrations::EmbeddedMigrations as MigrationSource<diesel::sqlite::Sqlite>>::migrations(&super::SQLITE_MIGRATIONS)
                .expect("embedded migrations")
                .len();
        assert_eq!(embedded, migration_names("sqlite").len(), "a migration folder is not embedded: is build.rs watching it?");
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let sqlite = migration_names("sqlite");
        let postgres = migration_names("postgres");
        assert!(!sqlite.is_empty(), "no migrations found");
        assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres must hold the same folder names");
        for name in &sqlite {
            for tree in ["sqlite", "postgres"] {
                for file in ["up.sql", "down.sql"] {
                    let path = manifest_dir().join(tree).join(name).join(file);
                    assert!(path.is_file(), "missing {}", path.display());
                }
            }
        }
    }
}
