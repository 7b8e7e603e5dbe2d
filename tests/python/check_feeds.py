#!/usr/bin/env python3
"""Checks feedd's output folder the way feed readers will see it.

Every *.xml document below OUTDIR is parsed with feedparser and must not be "bozo" (feedparser's
flag for a document it had to guess its way through). feedparser 6 has no JSON Feed reader, so
every *.json document is parsed with the json module and validated against
jsonfeed-1.1.schema.json (beside this file), with dates and URLs checked here.

With expectations, the main documents (rss.xml, atom.xml, feed.json, or the config's [paths])
must list exactly the expected entries in order: posts sorted by published date descending, then
id ascending, the first max_entries of them and, with [archives] on, the rest of the
calendar period the last of them falls in. Every older post must be on the archive page of its
period (archive/2024-05/atom.xml), and there must be no other archive page. Expectations come from either
  --manifest manifest.json              written by feedd-gen beside a generated site, or
  --sample-src DIR --config config.toml a plain-text site such as the bundled sample, read here.

With --enclosures FILE (JSON: entry title → [[url, length, type], ...], and "images": title → url),
each main document must carry exactly those enclosures on those entries (RSS only the first, as
it has one), read by feedparser (RSS, Atom) and from `attachments` (JSON Feed), and each entry
image as `media:thumbnail` (feedparser) or `image` (JSON Feed).

Prints one line per document; on the first mismatch prints what differs and exits 1.

    target/py/bin/python tests/python/check_feeds.py public --sample-src feed-src --config config.toml
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import tomllib
from datetime import datetime, time, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import jsonschema

SCHEMA_PATH = Path(__file__).with_name("jsonfeed-1.1.schema.json")
DEFAULT_PATHS = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}
DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
BYLINE = re.compile(r"^Posted on\b\s*(.*?)\s*\bby\b\s*(.*?)\s*$")


class CheckFailure(Exception):
    """A document that is malformed or does not list what was expected."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One entry reduced to what is compared; sets where order carries no meaning."""

    id: str
    title: str
    link: str
    published: datetime
    authors: frozenset[str]
    tags: frozenset[str]
    summary: str


@dataclasses.dataclass(frozen=True)
class Archives:
    """The config's [archives]: whether older posts go to pages, one per period."""

    enabled: bool = False
    period: str = "month"
    folder: str = "archive/"
    zone: ZoneInfo = ZoneInfo("UTC")

    @staticmethod
    def from_config(config: dict) -> "Archives":
        section = config.get("archives", {})
        return Archives(
            enabled=section.get("enabled", False),
            period=section.get("period", "month"),
            folder=section.get("folder", "archive/").strip("/") + "/",
            zone=ZoneInfo(config.get("timezone", "UTC")),
        )

    def label(self, entry: Entry) -> str:
        """The folder name of the page `entry` belongs on, e.g. 2024-05."""
        local = entry.published.astimezone(self.zone)
        if self.period == "year":
            return f"{local.year:04}"
        if self.period == "week":
            year, week, _ = local.isocalendar()
            return f"{year:04}-W{week:02}"
        return f"{local.year:04}-{local.month:02}"


@dataclasses.dataclass(frozen=True)
class Expectations:
    max_entries: int
    posts: list[Entry]
    paths: dict[str, str] = dataclasses.field(default_factory=lambda: dict(DEFAULT_PATHS))
    archives: Archives = Archives()

    def ordered(self) -> list[Entry]:
        by_id = sorted(self.posts, key=lambda e: e.id)
        return sorted(by_id, key=lambda e: e.published, reverse=True)  # stable: ties keep id order

    def entries(self) -> list[Entry]:
        """What every main document must list, in this order."""
        ordered = self.ordered()
        shown = ordered[: self.max_entries]
        if not self.archives.enabled or not shown:
            return shown
        # The period of the oldest of them stays whole with the newest posts.
        boundary = self.archives.label(shown[-1])
        return shown + [e for e in ordered[len(shown):] if self.archives.label(e) == boundary]

    def pages(self) -> dict[str, list[Entry]]:
        """Each archive page's entries in order, by the page's folder name."""
        if not self.archives.enabled:
            return {}
        pages: dict[str, list[Entry]] = {}
        for entry in self.ordered()[len(self.entries()):]:
            pages.setdefault(self.archives.label(entry), []).append(entry)
        return pages


def collapse(text: str) -> str:
    return " ".join(text.split())


# --- expectations -------------------------------------------------------------------------------


def from_manifest(path: Path) -> Expectations:
    """Reads feedd-gen's manifest.json; its values already follow feedd's rules. Whether older
    posts go to archive pages is the site's config.toml's say (beside the manifest)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    posts = [
        Entry(
            id=p["id"],
            title=p["title"],
            link=p["link"],
            published=parse_rfc3339(p["published"], f"{path}: {p['path']}"),
            authors=frozenset(p["authors"]),
            tags=frozenset(p["tags"]),
            summary=collapse(p["summary"]),
        )
        for p in data["posts"]
    ]
    config_path = path.parent / "config.toml"
    config = tomllib.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    return Expectations(
        max_entries=int(data["max_entries"]), posts=posts, archives=Archives.from_config(config)
    )


def from_sample_site(source: Path, config_path: Path) -> Expectations:
    """Derives the expected entries of a plain-text site from its files and config.toml."""
    config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    base_url = config["base_url"] if config["base_url"].endswith("/") else config["base_url"] + "/"
    authority = config["id_authority"].lower()
    zone = ZoneInfo(config.get("timezone", "UTC"))
    post_path = config.get("post_path", "posts/{slug}/")
    paths = {**DEFAULT_PATHS, **{k: v for k, v in config.get("paths", {}).items() if k in DEFAULT_PATHS}}
    posts = []
    for file in sorted(source.rglob("*")):
        relative = file.relative_to(source)
        if not file.is_file() or any(part.startswith((".", "#")) for part in relative.parts):
            continue
        if file.suffix in (".md", ".markdown"):
            raise CheckFailure(f"{file}: --sample-src reads plain-text (.txt) posts only")
        if file.suffix == ".txt":
            posts.append(plain_text_entry(file, base_url, authority, zone, post_path))
    if not posts:
        raise CheckFailure(f"{source}: no .txt posts found")
    return Expectations(
        max_entries=int(config.get("max_entries", 50)),
        posts=posts,
        paths=paths,
        archives=Archives.from_config(config),
    )


def plain_text_entry(file: Path, base_url: str, authority: str, zone: ZoneInfo, post_path: str) -> Entry:
    """Title line, `Posted on DATE by AUTHOR` byline, paragraphs; the date is the file name's."""
    match = DATE_PREFIX.match(file.stem)
    if not match:
        raise CheckFailure(f"{file}: the file name needs a YYYY-MM-DD- prefix to give the post a date")
    year, month, day, slug = match.groups()
    day_start = datetime.combine(datetime(int(year), int(month), int(day)).date(), time(), tzinfo=zone)
    blocks = [b.strip() for b in re.split(r"\n\s*\n", file.read_text(encoding="utf-8").strip())]
    if len(blocks) < 3:
        raise CheckFailure(f"{file}: expected a title line, a byline and at least one paragraph")
    byline = BYLINE.match(blocks[1])
    if not byline:
        raise CheckFailure(f"{file}: second block {blocks[1]!r} is not a `Posted on DATE by AUTHOR` byline")
    author = byline.group(2)
    link_path = post_path.format(slug=slug, year=year, month=month, day=day)
    return Entry(
        id=f"tag:{authority},{year}-{month}-{day}:{slug}",
        title=blocks[0].splitlines()[0].strip(),
        link=base_url + link_path,
        published=day_start.astimezone(timezone.utc),
        authors=frozenset([author] if author else []),
        tags=frozenset(),
        summary=collapse(blocks[2]),
    )


# --- reading documents --------------------------------------------------------------------------


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def parse_rfc3339(text: str, where: str) -> datetime:
    if not isinstance(text, str) or not RFC3339.match(text):
        raise CheckFailure(f"{where}: {text!r} is not an RFC 3339 date-time")
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def read_xml(path: Path) -> tuple[str, list[Entry]]:
    parsed = feedparser.parse(path.read_bytes())
    if parsed.bozo:
        raise CheckFailure(f"{path}: feedparser reports a malformed document: {parsed.bozo_exception}")
    if not parsed.version:
        raise CheckFailure(f"{path}: feedparser does not recognise this as a feed")
    entries = []
    for n, e in enumerate(parsed.entries, 1):
        where = f"{path}: entry {n}"
        if not e.get("published_parsed"):
            raise CheckFailure(f"{where}: no publication date (RSS pubDate / Atom published)")
        summary = e.get("summary", "")
        if e.get("summary_detail", {}).get("type") == "text/html":
            summary = html_to_text(summary)
        entries.append(
            Entry(
                id=e.get("id", ""),
                title=e.get("title", ""),
                link=e.get("link", ""),
                published=datetime(*e.published_parsed[:6], tzinfo=timezone.utc),
                authors=frozenset(a["name"] for a in e.get("authors", []) if a.get("name")),
                tags=frozenset(t["term"] for t in e.get("tags", []) if t.get("term")),
                summary=collapse(summary),
            )
        )
    return parsed.version, entries


def read_json_feed(path: Path) -> tuple[str, list[Entry]]:
    """JSON Feed through the schema, then per item the same fields feedparser gives for XML."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckFailure(f"{path}: not JSON: {error}") from error
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise CheckFailure(f"{path}: not valid JSON Feed 1.1 at {where}: {error.message}")
    check_json_urls(path, doc)
    entries = []
    for n, item in enumerate(doc["items"], 1):
        where = f"{path}: item {n}"
        if "date_published" not in item:
            raise CheckFailure(f"{where}: no date_published")
        entries.append(
            Entry(
                id=item["id"],
                title=item.get("title", ""),
                link=item.get("url", ""),
                published=parse_rfc3339(item["date_published"], where),
                authors=frozenset(a["name"] for a in item.get("authors", []) if a.get("name")),
                tags=frozenset(item.get("tags", [])),
                summary=collapse(item.get("summary", "")),
            )
        )
        if "date_modified" in item:
            parse_rfc3339(item["date_modified"], where)
    return "json11", entries


URL_KEYS = {
    "home_page_url", "feed_url", "next_url", "icon", "favicon",
    "url", "external_url", "image", "banner_image", "avatar",
}


def check_json_urls(path: Path, node: object, where: str = "") -> None:
    """Every URL field of a JSON Feed must be absolute: readers have no base to resolve against."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in URL_KEYS and isinstance(value, str):
                parts = urlsplit(value)
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    raise CheckFailure(f"{path}: {where}{key} = {value!r} is not an absolute http(s) URL")
            check_json_urls(path, value, f"{where}{key}.")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            check_json_urls(path, value, f"{where}{i}.")


def read_document(path: Path) -> tuple[str, list[Entry]]:
    return read_json_feed(path) if path.suffix == ".json" else read_xml(path)


# --- comparing ----------------------------------------------------------------------------------


def compare(path: Path, actual: list[Entry], expected: list[Entry]) -> None:
    for n, (got, want) in enumerate(zip(actual, expected), 1):
        for field in dataclasses.fields(Entry):
            g, w = getattr(got, field.name), getattr(want, field.name)
            if g != w:
                if isinstance(g, frozenset):
                    g, w = sorted(g), sorted(w)
                raise CheckFailure(
                    f"{path}: entry {n} (expected id {want.id}): {field.name} differs\n"
                    f"  expected: {w!r}\n  found:    {g!r}"
                )
    if len(actual) != len(expected):
        raise CheckFailure(f"{path}: {len(actual)} entries, expected {len(expected)}")


def check(outdir: Path, expectations: Expectations | None) -> int:
    """Checks every document below `outdir`; returns how many were checked."""
    # Hidden files (feedd's id ledger and manifest) are bookkeeping, not documents.
    documents = sorted(
        p
        for p in outdir.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".json") and not p.name.startswith(".")
    )
    if not documents:
        raise CheckFailure(f"{outdir}: no .xml or .json documents found")
    main_documents = {}
    if expectations is not None:
        main_documents = {outdir / p: fmt for fmt, p in expectations.paths.items()}
        missing = sorted(set(main_documents) - set(documents))
        if missing:
            raise CheckFailure(f"{missing[0]}: the main {main_documents[missing[0]]} document is missing")
    expected = expectations.entries() if expectations else []
    pages = expectations.pages() if expectations else {}
    archive_documents = {}
    if expectations is not None:
        folder = expectations.archives.folder
        for label in pages:
            for fmt, p in expectations.paths.items():
                archive_documents[outdir / folder / label / p] = label
        found = {p for p in documents if p.relative_to(outdir).as_posix().startswith(folder)}
        for path in sorted(found ^ set(archive_documents)):
            what = "unexpected" if path in found else "missing"
            raise CheckFailure(f"{path}: {what} archive page")
    for path in documents:
        version, entries = read_document(path)
        verdict = "well-formed"
        if path in main_documents:
            compare(path, entries, expected)
            verdict = "entries match"
        elif path in archive_documents:
            compare(path, entries, pages[archive_documents[path]])
            verdict = "archive page matches"
        print(f"ok  {path.relative_to(outdir)}  {version}  {len(entries)} entries  {verdict}")
    return len(documents)


def check_enclosures(outdir: Path, expected_path: Path) -> None:
    """Every main document carries the expected enclosures and images."""
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    images = expected.pop("images", {})
    for name, kind in (("rss.xml", "rss"), ("atom.xml", "atom"), ("feed.json", "json")):
        path = outdir / name
        found: dict[str, list[list]] = {}
        thumbs: dict[str, str] = {}
        if kind == "json":
            for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
                found[item["title"]] = [
                    [a["url"], a["size_in_bytes"], a["mime_type"]] for a in item.get("attachments", [])
                ]
                if "image" in item:
                    thumbs[item["title"]] = item["image"]
        else:
            parsed = feedparser.parse(path.read_bytes())
            if parsed.bozo:
                raise CheckFailure(f"{path}: feedparser reports a malformed document: {parsed.bozo_exception}")
            for e in parsed.entries:
                found[e.title] = [[x.get("href"), int(x.get("length", -1)), x.get("type")] for x in e.get("enclosures", [])]
                for thumbnail in e.get("media_thumbnail", []):
                    thumbs[e.title] = thumbnail.get("url")
        for title, want in expected.items():
            want = want[:1] if kind == "rss" else want
            if found.get(title, []) != want:
                raise CheckFailure(f"{path}: entry {title!r} has enclosures {found.get(title)}, expected {want}")
        if thumbs != images:
            raise CheckFailure(f"{path}: entry images {thumbs}, expected {images}")
        print(f"{path}: enclosures and images ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="folder feedd wrote its documents to")
    parser.add_argument("--manifest", type=Path, help="feedd-gen's manifest.json")
    parser.add_argument("--sample-src", type=Path, help="a plain-text site's source folder")
    parser.add_argument("--config", type=Path, help="that site's config.toml")
    parser.add_argument("--enclosures", type=Path, help="JSON of each entry's expected enclosures")
    args = parser.parse_args(argv)
    if args.manifest and (args.sample_src or args.config):
        parser.error("give either --manifest or --sample-src with --config, not both")
    if bool(args.sample_src) != bool(args.config):
        parser.error("--sample-src and --config go together")
    try:
        expectations = None
        if args.manifest:
            expectations = from_manifest(args.manifest)
        elif args.sample_src:
            expectations = from_sample_site(args.sample_src, args.config)
        count = check(args.outdir, expectations)
        if args.enclosures:
            check_enclosures(args.outdir, args.enclosures)
    except CheckFailure as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    print(f"all {count} documents ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
