"""Tests of check_feeds.py against small hand-made documents, including ones it must reject.

Run: target/py/bin/python -m unittest discover -s tests/python -v
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import tempfile
import unittest
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import check_feeds
from check_feeds import Entry

REPO = Path(__file__).resolve().parents[2]
UTC = timezone.utc


def entry(slug: str, day: str, when: str = "10:00:00", **changes) -> Entry:
    base = Entry(
        id=f"tag:example.org,{day}:{slug}",
        title=f"Bread & butter in São Paulo: {slug}",
        link=f"https://example.org/posts/{slug}/",
        published=datetime.fromisoformat(f"{day}T{when}+00:00"),
        authors=frozenset({"Jane Doe", "Tomás O'Neill"}),
        tags=frozenset({"food", "travel"}),
        summary=f"The first paragraph of {slug}, with an ampersand & a quote “like this”.",
    )
    return dataclasses.replace(base, **changes)


POSTS = [
    entry("older", "2019-06-29"),
    entry("b-same-time", "2019-06-30"),
    entry("a-same-time", "2019-06-30"),
    entry("newest", "2019-07-05", authors=frozenset(), tags=frozenset()),
]
# Newest first, then id ascending for equal dates; max_entries 3 drops the oldest.
EXPECTED = [POSTS[3], POSTS[2], POSTS[1]]


def rss(entries: list[Entry]) -> str:
    items = "".join(
        f"<item><title>{escape(e.title)}</title><link>{escape(e.link)}</link>"
        f'<guid isPermaLink="false">{escape(e.id)}</guid>'
        f"<pubDate>{format_datetime(e.published, usegmt=True)}</pubDate>"
        + "".join(f"<dc:creator>{escape(a)}</dc:creator>" for a in sorted(e.authors))
        + "".join(f"<category>{escape(t)}</category>" for t in sorted(e.tags))
        + f"<description>{escape(e.summary)}</description></item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
        f"<link>https://example.org/</link><description>D</description>{items}</channel></rss>\n"
    )


def atom(entries: list[Entry]) -> str:
    def one(e: Entry) -> str:
        stamp = e.published.isoformat().replace("+00:00", "Z")
        return (
            f'<entry><title type="text">{escape(e.title)}</title><id>{escape(e.id)}</id>'
            f'<link rel="alternate" href={quoteattr(e.link)}/>'
            f"<published>{stamp}</published><updated>{stamp}</updated>"
            + "".join(f"<author><name>{escape(a)}</name></author>" for a in sorted(e.authors))
            + "".join(f"<category term={quoteattr(t)}/>" for t in sorted(e.tags))
            + f'<summary type="text">{escape(e.summary)}</summary>'
            '<content type="html">&lt;p&gt;body&lt;/p&gt;</content></entry>'
        )

    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>T</title><id>tag:example.org,2019:feed</id><updated>2019-07-05T10:00:00Z</updated>"
        '<link rel="self" href="https://example.org/atom.xml"/>'
        + "".join(one(e) for e in entries)
        + "</feed>\n"
    )


def json_feed(entries: list[Entry]) -> dict:
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "T",
        "home_page_url": "https://example.org/",
        "feed_url": "https://example.org/feed.json",
        "items": [
            {
                "id": e.id,
                "url": e.link,
                "title": e.title,
                "content_html": "<p>body</p>",
                "summary": e.summary,
                "date_published": e.published.isoformat(),
                "authors": [{"name": a} for a in sorted(e.authors)],
                "tags": sorted(e.tags),
            }
            for e in entries
        ],
    }


def manifest(posts: list[Entry], max_entries: int) -> dict:
    return {
        "base_url": "https://example.org/",
        "id_authority": "example.org",
        "max_entries": max_entries,
        "posts": [
            {
                "path": f"{p.id.rsplit(':', 1)[1]}.md",
                "title": p.title,
                "id": p.id,
                "link": p.link,
                "published": p.published.isoformat().replace("+00:00", "Z"),
                "authors": sorted(p.authors),
                "tags": sorted(p.tags),
                "summary": p.summary,
            }
            for p in posts
        ],
    }


class CheckerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.out = self.dir / "public"
        self.out.mkdir()
        (self.dir / "manifest.json").write_text(json.dumps(manifest(POSTS, 3)), encoding="utf-8")

    def write(self, rss_entries=EXPECTED, atom_entries=EXPECTED, json_entries=EXPECTED) -> None:
        (self.out / "rss.xml").write_text(rss(rss_entries), encoding="utf-8")
        (self.out / "atom.xml").write_text(atom(atom_entries), encoding="utf-8")
        (self.out / "feed.json").write_text(json.dumps(json_feed(json_entries)), encoding="utf-8")

    def run_checker(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = check_feeds.main([str(self.out), *args])
        return code, out.getvalue(), err.getvalue()

    def assert_fails(self, *needles: str, args: tuple[str, ...] = ()) -> None:
        code, _, err = self.run_checker(*(args or ("--manifest", str(self.dir / "manifest.json"))))
        self.assertEqual(code, 1, err)
        for needle in needles:
            self.assertIn(needle, err)

    def test_matching_documents_pass_with_one_line_each(self) -> None:
        self.write()
        (self.out / "tags" / "food").mkdir(parents=True)
        (self.out / "tags" / "food" / "atom.xml").write_text(atom(EXPECTED[1:]), encoding="utf-8")
        code, out, err = self.run_checker("--manifest", str(self.dir / "manifest.json"))
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 5, out)
        self.assertIn("ok  rss.xml  rss20  3 entries  entries match", lines)
        self.assertIn("ok  feed.json  json11  3 entries  entries match", lines)
        self.assertIn("ok  tags/food/atom.xml  atom10  2 entries  well-formed", lines)

    def test_wrong_title_fails(self) -> None:
        wrong = [dataclasses.replace(EXPECTED[0], title="Another title"), *EXPECTED[1:]]
        self.write(atom_entries=wrong)
        self.assert_fails("atom.xml: entry 1", "title differs", "Another title")

    def test_same_date_entries_must_be_in_id_order(self) -> None:
        self.write(json_entries=[EXPECTED[0], EXPECTED[2], EXPECTED[1]])
        self.assert_fails("feed.json: entry 2", "id differs")

    def test_entries_beyond_max_entries_fail(self) -> None:
        self.write(rss_entries=[*EXPECTED, POSTS[0]])
        self.assert_fails("rss.xml: 4 entries, expected 3")

    def test_wrong_date_authors_tags_and_summary_fail(self) -> None:
        later = EXPECTED[0].published.replace(hour=11)
        for change, field in [
            ({"published": later}, "published"),
            ({"authors": frozenset({"Jane Doe"})}, "authors"),
            ({"tags": frozenset({"food"})}, "tags"),
            ({"summary": "Another first paragraph."}, "summary"),
        ]:
            with self.subTest(field=field):
                self.write(rss_entries=[dataclasses.replace(EXPECTED[0], **change), *EXPECTED[1:]])
                self.assert_fails(f"{field} differs")

    def test_malformed_xml_fails_as_bozo(self) -> None:
        self.write()
        (self.out / "tags").mkdir()
        (self.out / "tags" / "rss.xml").write_text(rss(EXPECTED).replace("</title>", "", 1), encoding="utf-8")
        self.assert_fails("tags/rss.xml: feedparser reports a malformed document")

    def test_invalid_json_feeds_fail(self) -> None:
        cases = [
            ("unknown key", lambda d: d["items"][0].update(colour="red"), "colour"),
            ("missing id", lambda d: d["items"][0].pop("id"), "'id' is a required property"),
            ("relative url", lambda d: d["items"][0].update(url="../posts/x/"), "absolute"),
            ("bad date", lambda d: d["items"][0].update(date_published="2019-07-05"), "RFC 3339"),
        ]
        for name, mutate, needle in cases:
            with self.subTest(name):
                self.write()
                doc = json_feed(EXPECTED)
                mutate(doc)
                (self.out / "feed.json").write_text(json.dumps(doc), encoding="utf-8")
                self.assert_fails("feed.json", needle)

    def test_missing_main_document_fails(self) -> None:
        self.write()
        (self.out / "feed.json").unlink()
        self.assert_fails("feed.json: the main json document is missing")

    def test_without_expectations_only_well_formedness_is_checked(self) -> None:
        self.write(atom_entries=[POSTS[0]])
        code, out, err = self.run_checker()
        self.assertEqual(code, 0, err)
        self.assertIn("ok  atom.xml  atom10  1 entries  well-formed", out)


class SampleSiteTest(unittest.TestCase):
    def test_plain_text_posts_give_dates_in_the_site_zone(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            src = root / "feed-src"
            (src / "2019").mkdir(parents=True)
            (src / "2019" / "2019-07-05-point-man.txt").write_text(
                "New point man\n\nPosted on by\n\nFirst  paragraph,\nwrapped.\n\nSecond.\n", encoding="utf-8"
            )
            (src / "2019-06-30-dmz.txt").write_text(
                "At the DMZ\n\nPosted on June 30, 2019 by Jane Doe\n\nOnly paragraph.\n", encoding="utf-8"
            )
            (src / ".2019-06-01-hidden.txt").write_text("x", encoding="utf-8")
            config = root / "config.toml"
            config.write_text(
                'title = "T"\nbase_url = "https://feeds.example.org"\nid_authority = "Feeds.Example.org"\n'
                'timezone = "Asia/Seoul"\nmax_entries = 1\n',
                encoding="utf-8",
            )
            expectations = check_feeds.from_sample_site(src, config)
        first, second = sorted(expectations.posts, key=lambda e: e.id)
        self.assertEqual(first.id, "tag:feeds.example.org,2019-06-30:dmz")
        self.assertEqual(first.authors, frozenset({"Jane Doe"}))
        self.assertEqual(second.id, "tag:feeds.example.org,2019-07-05:point-man")
        self.assertEqual(second.link, "https://feeds.example.org/posts/point-man/")
        self.assertEqual(second.published, datetime(2019, 7, 4, 15, 0, tzinfo=UTC))
        self.assertEqual(second.title, "New point man")
        self.assertEqual(second.summary, "First paragraph, wrapped.")
        self.assertEqual(second.authors, frozenset())
        self.assertEqual(expectations.entries(), [second])

    def test_bundled_sample_site_is_readable(self) -> None:
        expectations = check_feeds.from_sample_site(REPO / "feed-src", REPO / "config.toml")
        entries = expectations.entries()
        self.assertEqual(len(entries), 10)
        self.assertEqual(entries[0].id, "tag:feeds.example.org,2019-07-05:kim-myong-gil-point-man")
        self.assertEqual(entries[0].published, datetime(2019, 7, 4, 15, 0, tzinfo=UTC))
        last = "Trump tweets invitation to Kim Jong Un to meet in Demilitarized Zone"
        self.assertEqual(entries[-1].title, last)
        # The four posts of 2019-06-30 share a date; ids order them, as the file names do.
        same_day = [e.link.split("/")[-2] for e in entries if "2019-06-30" in e.id]
        self.assertEqual(same_day, sorted(same_day))
        self.assertTrue(all(e.summary and not e.authors for e in entries))


if __name__ == "__main__":
    unittest.main()
