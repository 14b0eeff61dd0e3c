"""Drives a Gilde instance with Mastodon.py, a real Mastodon client library.

Usage: python mastodon_py_flow.py BASE_URL USERNAME PASSWORD
Registers an app, signs in through Gilde's own authorization form (as a person would in the
browser the app opens), then posts, replies, likes and reads the home timeline and a thread.
Prints one JSON line with what it saw; exits non-zero on any failure.
"""
import json
import re
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import requests
from mastodon import Mastodon

base, username, password = sys.argv[1], sys.argv[2], sys.argv[3]
redirect = "http://localhost/callback"
scopes = ["read", "write", "follow"]


class FormFields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = {}
        self.action = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "failed": message}))
        sys.exit(1)


client_id, client_secret = Mastodon.create_app("Gilde client test", scopes=scopes, redirect_uris=redirect, api_base_url=base)
api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)

# The browser part: open the authorization page, fill in the form, follow to the redirect.
url = api.auth_request_url(redirect_uris=redirect, scopes=scopes, state="xyz", allow_http=True)
page = requests.get(url, timeout=30)
check(page.status_code == 200, f"authorize page answered {page.status_code}")
form = FormFields()
form.feed(page.text)
check(form.action == "/oauth/authorize", "authorize page has a sign-in form")
wrong = requests.post(base + form.action, data={**form.fields, "username": username, "password": "not the password"}, allow_redirects=False, timeout=30)
check(wrong.status_code == 401 and "klopt niet" in wrong.text, "a wrong password is refused on the form (in Dutch, with no Accept-Language)")
answer = requests.post(base + form.action, data={**form.fields, "username": username, "password": password}, allow_redirects=False, timeout=30)
check(answer.status_code == 302, f"sign-in answered {answer.status_code}: {answer.text[:200]}")
target = urlparse(answer.headers["Location"])
query = parse_qs(target.query)
check(query.get("state") == ["xyz"], "state is returned")
code = query["code"][0]

api.log_in(code=code, redirect_uri=redirect, scopes=scopes, allow_http=True)
me = api.account_verify_credentials()
check(me["username"] == username, "verify_credentials names the signed-in person")

post = api.status_post("Hello from **Mastodon.py**")
check("<strong>Mastodon.py</strong>" in post["content"], "markdown is rendered")
reply = api.status_post("A reply", in_reply_to_id=post["id"])
check(str(reply["in_reply_to_id"]) == str(post["id"]), "reply points at its parent")
liked = api.status_favourite(post["id"])
check(liked["favourited"] and liked["favourites_count"] == 1, "like is counted")

home = api.timeline_home(limit=10)
home_ids = [str(s["id"]) for s in home]
check(str(post["id"]) in home_ids, "the post is in the home timeline")
context = api.status_context(post["id"])
check([str(s["id"]) for s in context["descendants"]] == [str(reply["id"])], "the thread holds the reply")

found = api.search_v2("Mastodon.py", result_type="statuses")
check(any(str(s["id"]) == str(post["id"]) for s in found["statuses"]), "search finds the post")

print(json.dumps({"ok": True, "post": str(post["id"]), "reply": str(reply["id"]), "home": home_ids}))
