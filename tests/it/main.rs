//! Gilde's integration tests: real instances on loopback, driven over HTTP, on SQLite or (with
//! `GILDE_TEST_DATABASE_URL`) PostgreSQL.

mod api;
mod cli;
mod clients;
mod common;
mod discovery;
mod group_accounts;
mod groups_api;
mod media;
mod openapi;
mod operations;
mod web;
