#!/usr/bin/env python3
"""Reads a podcast's RSS feed as podcast apps do, and compares it with what the show should be.

Two independent parsers read the document:
  - feedparser (what most feed readers in Python use): the channel's iTunes author, owner,
    image and categories, and every episode's enclosure (URL, length, type) and duration;
  - podcastparser (the parser of gPodder): every episode with its enclosure (URL, size, type),
    duration, number, season and type, and the show's cover, type, explicit flag and lock.
The Podcasting 2.0 tags are read with ElementTree, since neither parser knows the namespace
URI the specification gives (podcastparser knows only its older GitHub address).

Expectations come from a JSON file:
  {"title", "author", "owner": {"name", "email"}, "image", "categories": [[name, sub|null]],
   "type", "explicit", "locked", "guid",
   "episodes": [{"title", "url", "length", "type", "duration", "number", "season",
                 "episode_type", "transcripts": [[url, type]], "chapters": url|null}]}
with episodes newest first. Prints what it checked; on the first mismatch, what differs, exit 1.

    target/py/bin/python tests/python/check_podcast.py public/rss.xml expected.json
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import podcastparser

PODCAST_NS = "https://podcastindex.org/namespace/1.0"


class Mismatch(Exception):
    pass


def same(what: str, got, want) -> None:
    if got != want:
        raise Mismatch(f"{what}: got {got!r}, expected {want!r}")


def check_feedparser(body: bytes, want: dict) -> None:
    parsed = feedparser.parse(body)
    if parsed.bozo:
        raise Mismatch(f"feedparser: not well-formed: {parsed.bozo_exception}")
    feed = parsed.feed
    same("feedparser: itunes:author", feed.get("author"), want["author"])
    owner = feed.get("publisher_detail", {})
    same("feedparser: itunes:owner name", owner.get("name"), want["owner"]["name"])
    same("feedparser: itunes:owner email", owner.get("email"), want["owner"]["email"])
    same("feedparser: itunes:image", feed.get("image", {}).get("href"), want["image"])
    itunes = [t["term"] for t in feed.get("tags", []) if "itunes" in (t.get("scheme") or "")]
    wanted_terms = [term for pair in want["categories"] for term in pair if term]
    same("feedparser: itunes:category", itunes, wanted_terms)
    same("feedparser: episodes", [e.title for e in parsed.entries], [e["title"] for e in want["episodes"]])
    for entry, episode in zip(parsed.entries, want["episodes"]):
        enclosures = [(l["href"], int(l["length"]), l["type"]) for l in entry.get("enclosures", [])]
        same(f"feedparser: {entry.title}: enclosures", enclosures,
             [(episode["url"], episode["length"], episode["type"])])
        same(f"feedparser: {entry.title}: itunes:duration",
             entry.get("itunes_duration"), str(episode["duration"]))


def check_podcastparser(body: bytes, url: str, want: dict) -> None:
    import io
    show = podcastparser.parse(url, io.BytesIO(body))
    same("podcastparser: title", show.get("title"), want["title"])
    same("podcastparser: cover", show.get("cover_url"), want["image"])
    same("podcastparser: type", show.get("type"), want["type"])
    same("podcastparser: explicit", show.get("explicit"), want["explicit"])
    same("podcastparser: itunes_owner", show.get("itunes_owner"), want["owner"])
    episodes = show["episodes"]
    same("podcastparser: episodes", [e["title"] for e in episodes], [e["title"] for e in want["episodes"]])
    for got, episode in zip(episodes, want["episodes"]):
        title = episode["title"]
        enclosures = [(e["url"], e["file_size"], e["mime_type"]) for e in got["enclosures"]]
        same(f"podcastparser: {title}: enclosures", enclosures,
             [(episode["url"], episode["length"], episode["type"])])
        same(f"podcastparser: {title}: total_time", got["total_time"], episode["duration"])
        same(f"podcastparser: {title}: number", got.get("number"), episode["number"])
        same(f"podcastparser: {title}: season", got.get("season"), episode["season"])
        same(f"podcastparser: {title}: type", got.get("type"), episode["episode_type"])


def check_podcast_namespace(body: bytes, want: dict) -> None:
    channel = ET.fromstring(body).find("channel")
    tag = lambda name: f"{{{PODCAST_NS}}}{name}"
    same("podcast:guid", channel.findtext(tag("guid")), want["guid"])
    locked = channel.find(tag("locked"))
    same("podcast:locked", (locked.text, locked.get("owner")),
         ("yes" if want["locked"] else "no", want["owner"]["email"]))
    for item, episode in zip(channel.findall("item"), want["episodes"]):
        title = item.findtext("title")
        transcripts = [[t.get("url"), t.get("type")] for t in item.findall(tag("transcript"))]
        same(f"{title}: podcast:transcript", transcripts, episode["transcripts"])
        chapters = [(c.get("url"), c.get("type")) for c in item.findall(tag("chapters"))]
        wanted = [(episode["chapters"], "application/json+chapters")] if episode["chapters"] else []
        same(f"{title}: podcast:chapters", chapters, wanted)


def main() -> int:
    rss_path, expected_path = Path(sys.argv[1]), Path(sys.argv[2])
    body = rss_path.read_bytes()
    want = json.loads(expected_path.read_text())
    try:
        check_feedparser(body, want)
        print(f"feedparser: {len(want['episodes'])} episodes, enclosures and itunes fields as expected")
        check_podcastparser(body, want["feed_url"], want)
        print(f"podcastparser: {len(want['episodes'])} episodes with enclosure and duration as expected")
        check_podcast_namespace(body, want)
        print("podcast: guid, locked, transcripts and chapters as expected")
    except Mismatch as mismatch:
        print(f"{rss_path}: {mismatch}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
