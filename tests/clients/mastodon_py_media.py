"""Attachments with Mastodon.py (a real Mastodon client library).

Usage: python mastodon_py_media.py BASE_URL TOKEN IMAGE_PATH PDF_PATH
Uploads a photo (with alt text) and a PDF, posts them, reads the post back, downloads both
files, changes the alt text, sets a profile picture, and edits the post to keep only the PDF.
Prints one JSON line with what it saw; exits non-zero on any failure.
"""
import json
import sys

import requests
from mastodon import Mastodon

base, token, image_path, pdf_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
api = Mastodon(access_token=token, api_base_url=base)


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "failed": message}))
        sys.exit(1)


instance = api.instance()
limits = instance["configuration"]
check(limits["statuses"]["max_media_attachments"] >= 2, f"the instance takes attachments: {limits}")
check("application/pdf" in limits["media_attachments"]["supported_mime_types"], "PDF is advertised")

photo = api.media_post(image_path, mime_type="image/jpeg", description="Foto van de bouwplaats", synchronous=True)
check(photo["type"] == "image", f"the photo is an image: {photo}")
check(photo["description"] == "Foto van de bouwplaats", "alt text kept")
check(photo["meta"]["original"]["width"] > 0 and photo["blurhash"], "sizes and a blurhash")
pdf = api.media_post(pdf_path, mime_type="application/pdf", file_name="Beleidsnota.pdf", synchronous=True)
check(pdf["type"] == "unknown", f"a PDF is a file apps show as a link: {pdf}")
check(pdf["url"].endswith("Beleidsnota.pdf"), f"named by its file: {pdf['url']}")

post = api.status_post("De nota en een foto", media_ids=[photo["id"], pdf["id"]])
check(len(post["media_attachments"]) == 2, "both attached")
read = api.status(post["id"])
check([m["id"] for m in read["media_attachments"]] == [photo["id"], pdf["id"]], "read back, in order")

headers = {"Authorization": f"Bearer {token}"}
got_photo = requests.get(read["media_attachments"][0]["url"], headers=headers, timeout=30)
check(got_photo.status_code == 200 and got_photo.headers["content-type"] == "image/jpeg", "the photo downloads")
check(b"Exif" not in got_photo.content, "without EXIF")
got_pdf = requests.get(read["media_attachments"][1]["url"], headers=headers, timeout=30)
check(got_pdf.status_code == 200 and got_pdf.content == open(pdf_path, "rb").read(), "the PDF downloads unchanged")

updated = api.media_update(photo["id"], description="Bouwplaats aan de Kade")
check(updated["description"] == "Bouwplaats aan de Kade", "alt text changed")

me = api.account_update_credentials(avatar=image_path, avatar_mime_type="image/jpeg")
check("/files/" in me["avatar"], f"the profile picture is set: {me['avatar']}")

edited = api.status_update(post["id"], "Alleen de nota", media_ids=[pdf["id"]])
check([m["id"] for m in edited["media_attachments"]] == [pdf["id"]], "the edit keeps only the PDF")

print(json.dumps({"ok": True, "post": str(post["id"]), "avatar": me["avatar"]}))
