"""Groups through plain Mastodon calls, with Mastodon.py (a real Mastodon client library).

Usage: python mastodon_py_groups.py BASE_URL MEMBER_TOKEN MODERATOR_TOKEN
The member finds the groups as accounts, joins one by following it, reads its statuses, posts
into it by mentioning it and replies; asks to join a private one, which the moderator approves
as a follow request. Prints one JSON line with what it saw; exits non-zero on any failure.
"""
import json
import sys

from mastodon import Mastodon

base, member_token, moderator_token = sys.argv[1], sys.argv[2], sys.argv[3]
member = Mastodon(access_token=member_token, api_base_url=base)
moderator = Mastodon(access_token=moderator_token, api_base_url=base)


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "failed": message}))
        sys.exit(1)


found = member.search_v2("wonen", result_type="accounts")
wonen = next((a for a in found["accounts"] if a["acct"] == "wonen"), None)
check(wonen is not None and wonen["group"] is True, f"search finds the group as an account: {found}")
budget = member.account_lookup("budget")
check(budget["group"] is True and budget["locked"] is True, "a private group is a locked group account")

relationship = member.account_follow(wonen["id"])
check(relationship["following"] is True, f"following a public group joins it: {relationship}")
statuses = member.account_statuses(wonen["id"])
# As for a Lemmy community: the group boosts its members' posts.
posts = [s["reblog"] for s in statuses if s.get("reblog")]
check(any("Welkom" in p["content"] for p in posts), f"the group's statuses are its boosts of its posts: {statuses}")
check(all(s["account"]["id"] == wonen["id"] for s in statuses), "boosted by the group")
welcome = next(p for p in posts if "Welkom" in p["content"])

thread = member.status_post("@wonen Vraag via Mastodon.py over de huurtoeslag")
reply = member.status_post("Dank voor het welkom", in_reply_to_id=welcome["id"])

relationship = member.account_follow(budget["id"])
check(relationship["requested"] is True and relationship["following"] is False, f"a private group: requested ({relationship})")
requests = moderator.follow_requests()
me = member.me()
check(any(a["id"] == me["id"] for a in requests), "the moderator sees the join request as a follow request")
moderator.follow_request_authorize(me["id"])
relationship = member.account_relationships(budget["id"])[0]
check(relationship["following"] is True, "after approval the member follows (is in) the group")
notes = member.notifications(types=["follow"])
check(any(n["account"]["acct"] == "budget" for n in notes), "the member hears of it as the group following them")

print(json.dumps({"ok": True, "thread": str(thread["id"]), "reply": str(reply["id"]), "wonen": str(wonen["id"])}))
