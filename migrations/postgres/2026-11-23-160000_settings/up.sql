-- Instance-wide values, such as the instance actor's keys.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
