"""Seeds a stopped GoToSocial's SQLite database with the shape `gilde admin seed` gives Gilde.

Used by benches/side-by-side.sh. GoToSocial has no groups: each of Gilde's groups becomes an
account that people follow (as Mastodon users follow a Lemmy community), so a reader's home has
the same sources (10 people and 5 "groups") over the same number of posts, spread the same way.

Rows are copies of the template rows GoToSocial itself wrote for one account made on its command
line, one status posted through its API and one token from its OAuth flow, with the ids, names
and addresses changed, so every column GoToSocial expects is filled the way it fills it.

    python3 gotosocial-seed.py DB TEMPLATE_USERNAME DOMAIN PEOPLE GROUPS POSTS TOKENS_OUT
"""

import sqlite3
import sys

db, template, domain = sys.argv[1], sys.argv[2], sys.argv[3]
people, groups, posts = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
tokens_out = sys.argv[7]
base = f"http://{domain}"

c = sqlite3.connect(db)
c.execute("PRAGMA journal_mode = WAL")
c.execute("PRAGMA synchronous = OFF")


def columns(table):
    return [row[1] for row in c.execute(f'PRAGMA table_info("{table}")')]


def series(n):
    """Rows i = 1..n, as a common table expression named s."""
    return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "


def copy(table, where, overrides, n):
    """INSERT n copies of the row `where` selects, with `overrides` (SQL over i = 1..n)."""
    cols = columns(table)
    select = ", ".join(overrides.get(col, f't."{col}"') for col in cols)
    names = ", ".join(f'"{col}"' for col in cols)
    c.execute(f'{series(n)}INSERT INTO "{table}" ({names}) SELECT {select} FROM s, "{table}" t WHERE {where}')


def ulid(kind, expr):
    """A 26-character id in ULID's alphabet, sorting as `expr` does: 01KB, a kind letter, digits."""
    return f"'01KB{kind}' || printf('%021d', {expr})"


(acc_id,) = c.execute("SELECT id FROM accounts WHERE username = ? AND domain IS NULL", (template,)).fetchone()
(user_id,) = c.execute("SELECT id FROM users WHERE account_id = ?", (acc_id,)).fetchone()
(status_id,) = c.execute("SELECT id FROM statuses WHERE account_id = ? ORDER BY id LIMIT 1", (acc_id,)).fetchone()
(token_id,) = c.execute("SELECT id FROM tokens WHERE user_id = ? AND access <> '' ORDER BY id DESC LIMIT 1", (user_id,)).fetchone()

# Accounts 1..people are people (seed_N), people+1..people+groups the groups (seedgroup_N).
total = people + groups
name = f"CASE WHEN i <= {people} THEN 'seed_' || i ELSE 'seedgroup_' || (i - {people}) END"
user = f"'{base}/users/' || {name}"
copy(
    "accounts",
    f"t.id = '{acc_id}'",
    {
        "id": ulid("A", "i"),
        "username": name,
        "display_name": f"CASE WHEN i <= {people} THEN 'Seed person ' || i ELSE 'Seed group ' || (i - {people}) END",
        "uri": user,
        "url": f"'{base}/@' || {name}",
        "inbox_uri": f"{user} || '/inbox'",
        "outbox_uri": f"{user} || '/outbox'",
        "following_uri": f"{user} || '/following'",
        "followers_uri": f"{user} || '/followers'",
        "featured_collection_uri": f"{user} || '/collections/featured'",
        "public_key_uri": f"{user} || '/main-key'",
        "locked": "0",
    },
    total,
)
copy(
    "users",
    f"t.id = '{user_id}'",
    {"id": ulid("U", "i"), "account_id": ulid("A", "i"), "email": f"{name} || '@example.org'", "unconfirmed_email": "NULL"},
    total,
)
copy("account_settings", f"t.account_id = '{acc_id}'", {"account_id": ulid("A", "i")}, total)

# Follows: each person follows 10 people and 5 groups, as `gilde admin seed` makes them.
def follow(key, target, where="true"):
    c.execute(
        f"{series(people)}INSERT OR IGNORE INTO follows (id, uri, account_id, target_account_id, show_reblogs, notify) "
        f"SELECT {ulid('F', f'{key} * 1000000000 + i')}, '{base}/follows/{key}-' || i, {ulid('A', 'i')}, {ulid('A', target)}, 1, 0 "
        f"FROM s WHERE {where}"
    )


for k in range(1, 11):
    person = f"1 + ((i + {k} * 37) % {people})"
    follow(k, person, f"i <> {person}")
for k in range(5):
    follow(20 + k, f"{people} + 1 + ((i * 7 + {k} * 13) % {groups})")

# Posts: post n by person 1 + (n % people), in group 1 + ((n / 5) % groups) unless n % 5 = 0,
# as Gilde's seed spreads them; here a group's post is the group account's.
done = 0
while done < posts:
    n = min(100_000, posts - done)
    k = f"(i + {done})"
    author = f"CASE WHEN {k} % 5 = 0 THEN 1 + ({k} % {people}) ELSE {people} + 1 + (({k} / 5) % {groups}) END"
    author_name = f"CASE WHEN {k} % 5 = 0 THEN 'seed_' || (1 + ({k} % {people})) ELSE 'seedgroup_' || (1 + (({k} / 5) % {groups})) END"
    sid = ulid("S", k)
    copy(
        "statuses",
        f"t.id = '{status_id}'",
        {
            "id": sid,
            "uri": f"'{base}/users/' || {author_name} || '/statuses/' || {sid}",
            "url": f"'{base}/@' || {author_name} || '/statuses/' || {sid}",
            "content": f"'<p>Seed post ' || {k} || ' about kennisdeling</p>'",
            "text": f"'Seed post ' || {k} || ' about kennisdeling'",
            "account_id": ulid("A", author),
            "account_uri": f"'{base}/users/' || {author_name}",
            "thread_id": sid,
        },
        n,
    )
    done += n
c.execute(f"INSERT INTO threads (id) SELECT id FROM statuses WHERE id LIKE '01KBS%'")

# Counts as GoToSocial keeps them.
c.execute(
    "INSERT OR REPLACE INTO account_stats (account_id, regenerated_at, followers_count, following_count, follow_requests_count, statuses_count, statuses_pinned_count, last_status_at) "
    "SELECT a.id, CURRENT_TIMESTAMP, (SELECT COUNT(*) FROM follows f WHERE f.target_account_id = a.id), "
    "(SELECT COUNT(*) FROM follows f WHERE f.account_id = a.id), 0, "
    "(SELECT COUNT(*) FROM statuses s WHERE s.account_id = a.id), 0, CURRENT_TIMESTAMP FROM accounts a WHERE a.id LIKE '01KBA%'"
)

# Tokens of 200 people (the same people benches/common.sh takes for Gilde): seed_(i * step).
step = people // 200
reader = f"i * {step}"
access = f"'BENCHTOKEN' || printf('%022d', {reader})"
copy("tokens", f"t.id = '{token_id}'", {"id": ulid("T", reader), "user_id": ulid("U", reader), "access": access, "last_used": "NULL"}, 200)
with open(tokens_out, "w") as out:
    for (token,) in c.execute("SELECT access FROM tokens WHERE access LIKE 'BENCHTOKEN%' ORDER BY id"):
        out.write(token + "\n")
# No ANALYZE: on these rows (no boosts, no replies) it would tell SQLite that `boost_of_id = ?`
# matches every status, and GoToSocial's lookups of a status's boosts would scan the table (a
# second each), which no real instance's statistics say. Without statistics SQLite takes an
# equality on an index as selective, as it is on a real instance.
for stats in ("sqlite_stat1", "sqlite_stat4"):
    if c.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (stats,)).fetchone():
        c.execute(f"DELETE FROM {stats} WHERE tbl IN ('statuses', 'accounts', 'follows', 'threads', 'tokens', 'users')")
c.commit()
c.close()
print(f"GoToSocial seeded: {people} people, {groups} group accounts, {posts} statuses, 200 tokens")
