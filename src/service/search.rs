//! Search across people, groups and posts, limited to what the viewer may see.

use super::{views, Actor, GroupView, PersonView, PostView};
use crate::context::AppContext;
use crate::db::people::DirectoryFilter;
use crate::db::{self, Page};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    All,
    People,
    /// People and groups: what Mastodon apps call accounts.
    Accounts,
    Groups,
    Posts,
}

#[derive(Debug)]
pub struct SearchResults {
    pub people: Vec<PersonView>,
    pub groups: Vec<GroupView>,
    pub posts: Vec<PostView>,
}

pub async fn search(ctx: &AppContext, actor: &Actor, query: &str, kind: SearchKind, page: Page, offset: i64) -> Result<SearchResults> {
    let query = query.trim().to_string();
    if query.is_empty() {
        return Err(Error::invalid("empty_query", "Type something to search for.").with_field("q"));
    }
    if query.chars().count() > 200 {
        return Err(Error::invalid("query_too_long", "A search has at most 200 characters.").with_field("q"));
    }
    let actor = *actor;
    ctx.db
        .read(move |conn| {
            let me = actor.person_id;
            let name = query.trim_start_matches(['@', '!']).to_string();
            let people = if matches!(kind, SearchKind::All | SearchKind::People | SearchKind::Accounts) {
                let filter = DirectoryFilter { name: Some(name.clone()), ..Default::default() };
                let found = db::people::directory(conn, &filter, page.limit, offset)?;
                views::people(conn, found)?
            } else {
                Vec::new()
            };
            let groups = if matches!(kind, SearchKind::All | SearchKind::Groups | SearchKind::Accounts) {
                let mut found = db::groups::discoverable(conn, Some(&name), page.limit, offset)?;
                if offset == 0 {
                    found.extend(db::groups::secret_of_member_matching(conn, me, &name, page.limit)?);
                }
                views::groups(conn, me, found)?
            } else {
                Vec::new()
            };
            let posts = if matches!(kind, SearchKind::All | SearchKind::Posts) {
                let found = db::posts::search(conn, me, &query, page)?;
                views::posts(conn, me, found)?
            } else {
                Vec::new()
            };
            Ok(SearchResults { people, groups, posts })
        })
        .await
}
