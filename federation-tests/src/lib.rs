//! The harness for federation tests: several real Gilde instances in one process, each on its
//! own loopback port with its own database, driven only through their public HTTP APIs.
//!
//! Federation itself arrives with the federation issue; for now the harness starts and stops
//! instances, which the scenarios will build on.

use gilde::config::Config;
use gilde::db::testing::TestDatabase;
use gilde::RunningInstance;

/// One instance of the cluster, e.g. "gemeente-a".
pub struct Node {
    pub name: String,
    pub base: String,
    pub instance: RunningInstance,
    _database: TestDatabase,
}

pub struct Cluster {
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// Starts one instance per name, each with its own database (SQLite, or a fresh PostgreSQL
    /// database when `GILDE_TEST_DATABASE_URL` is set).
    pub async fn start(names: &[&str]) -> Cluster {
        let mut nodes = Vec::new();
        for name in names {
            let database = TestDatabase::new();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
            let addr = listener.local_addr().expect("local address");
            let mut config = Config::for_tests(&addr.to_string(), database.dir(), database.url.clone());
            config.instance_name = (*name).to_string();
            let instance = gilde::start(config, listener).await.unwrap_or_else(|e| panic!("start {name}: {e:?}"));
            nodes.push(Node { name: (*name).to_string(), base: format!("http://{addr}"), instance, _database: database });
        }
        Cluster { nodes }
    }

    pub fn node(&self, name: &str) -> &Node {
        self.nodes.iter().find(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
    }
}
