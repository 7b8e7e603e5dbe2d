#!/usr/bin/env python3
"""Writes a Hugo site holding the same posts as a feedd-gen corpus.

    hugo_site.py CORPUS SITE

CORPUS is a folder written by `feedd-gen` (config.toml, feed-src/, manifest.json); SITE receives
config.toml, content/posts/... and layouts/. Every post keeps its body; its front matter is
rewritten from manifest.json (title, date in UTC, authors, tags), so Hugo reads the same dates
feedd does, whatever form the original used (file-name prefixes, bylines, local wall times).
Plain-text posts become Markdown: the title line and byline move into the front matter and the
paragraphs stay as they are.

Hugo is configured for the cheapest build it can be asked for: only the home page's RSS feed,
the newest 50 posts, each with its full content; no HTML pages, sections, taxonomies, sitemap.
"""

import json
import sys
from pathlib import Path

CONFIG = """\
baseURL = "{base_url}"
title = "feedd bench site"
languageCode = "en"
disableKinds = ["section", "taxonomy", "term", "sitemap", "robotsTXT", "404"]
timeZone = "UTC"

[outputs]
home = ["RSS"]
page = []

[services.rss]
limit = {limit}

[[cascade]]
[cascade._build]
render = "never"
list = "always"
[cascade._target]
kind = "page"
"""

# The stock RSS template with the full content instead of the summary.
RSS = """\
{{- $pages := first .Site.Config.Services.RSS.Limit .Site.RegularPages.ByDate.Reverse -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\" standalone=\\"yes\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{{ .Site.Title }}</title>
    <link>{{ .Permalink }}</link>
    <description>Recent posts on {{ .Site.Title }}</description>
    <language>{{ .Site.LanguageCode }}</language>
    {{- with $pages }}
    <lastBuildDate>{{ (index . 0).Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</lastBuildDate>
    {{- end }}
    {{- with .OutputFormats.Get "RSS" }}
    {{ printf "<atom:link href=%q rel=\\"self\\" type=%q />" .Permalink .MediaType | safeHTML }}
    {{- end }}
    {{- range $pages }}
    <item>
      <title>{{ .Title }}</title>
      {{- /* Pages are never rendered, so they have no permalink of their own; feedd's pattern. */}}
      {{- $link := printf "%sposts/%s/" site.BaseURL (replaceRE "^[0-9]{4}-[0-9]{2}-[0-9]{2}-" "" .File.ContentBaseName) }}
      <link>{{ $link }}</link>
      <pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
      <guid>{{ $link }}</guid>
      <description>{{ .Content | html }}</description>
    </item>
    {{- end }}
  </channel>
</rss>
"""


def toml_string(value):
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def front_matter(post):
    lines = ["+++", f"title = {toml_string(post['title'])}", f"date = {post['published']}"]
    if post["authors"]:
        lines.append("authors = [" + ", ".join(map(toml_string, post["authors"])) + "]")
    if post["tags"]:
        lines.append("tags = [" + ", ".join(map(toml_string, post["tags"])) + "]")
    lines.append("+++")
    return "\n".join(lines) + "\n"


def body_of(path, text):
    """The post's body without its front matter (Markdown) or title and byline (plain text)."""
    if path.suffix == ".txt":
        lines = text.split("\n")
        rest = lines[1:]
        while rest and not rest[0].strip():
            rest = rest[1:]
        if rest and rest[0].startswith("Posted on "):
            rest = rest[1:]
        return "\n".join(rest).lstrip("\n")
    fence = text.split("\n", 1)[0].strip()
    if fence in ("+++", "---"):
        end = text.find("\n" + fence, len(fence))
        if end >= 0:
            return text[end + 1 + len(fence):].lstrip("\n")
    return text


def hugo_path(relative):
    """Where a post goes below content/posts/: same folders, `.md` for every format."""
    return Path(relative).with_suffix(".md")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    corpus, site = Path(sys.argv[1]), Path(sys.argv[2])
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    (site / "layouts" / "_default").mkdir(parents=True, exist_ok=True)
    (site / "config.toml").write_text(
        CONFIG.format(base_url=manifest["base_url"], limit=manifest["max_entries"]),
        encoding="utf-8",
    )
    (site / "layouts" / "_default" / "rss.xml").write_text(RSS, encoding="utf-8")
    posts = site / "content" / "posts"
    folders = set()
    for post in manifest["posts"]:
        source = corpus / "feed-src" / post["path"]
        target = posts / hugo_path(post["path"])
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        text = source.read_text(encoding="utf-8")
        target.write_text(front_matter(post) + "\n" + body_of(source, text), encoding="utf-8")


if __name__ == "__main__":
    main()
