"""Rendering: Markdown, responsive HTML email with inline CSS, and plain text; model text escaped or
sanitized; the templates are the user's to change."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from newsroom.app.cli import app
from newsroom.config import load_settings
from newsroom.models import Highlight, Newsletter, NewsletterItem
from newsroom.newsletter.issue import render_newsletter
from newsroom.newsletter.render import TemplateRenderError, builtin_templates
from tests.conftest import write_config


class Tags(HTMLParser):
    """The real tags and link targets of an HTML document (escaped text is not a tag)."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: set[str] = set()
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("href", "src")]


def newsletter(blurb: str = "Plain words.", title: str = "Agents & you") -> Newsletter:
    return Newsletter(
        id="2026-11-22-abc",
        title="Demo Weekly — 2026-11-22",
        date="2026-11-22",
        intro="This week: **two** shows.",
        items=[
            NewsletterItem(
                episode_id="pod-a",
                title=title,
                blurb=blurb,
                link="https://example.org/a.mp3#t=15",
                source_name="Demo FM",
                highlights=[Highlight(text="A point", link="https://example.org/a.mp3#t=30")],
            )
        ],
        outro="Bye.",
        backend="editor:gpt-4o-mini",
    )


def test_three_renderings_of_one_issue(tmp_path: Path):
    out = render_newsletter(newsletter(), load_settings(write_config(tmp_path, "")), {"summaries": "x"})
    html, md, txt = out["html"], out["md"], out["txt"]
    # Responsive HTML email: viewport, a media query, and inline styles (mail clients drop <style>).
    assert '<meta name="viewport"' in html and "@media only screen" in html
    assert 'style="' in re.search(r"<h2[^>]*>", html).group(0)
    assert "<strong>two</strong>" in html and "Agents &amp; you" in html
    parsed = MarkdownIt("commonmark").render(md)
    assert '<a href="https://example.org/a.mp3#t=15">Agents &amp; you</a>' in parsed
    assert "<strong>two</strong>" in parsed
    assert "https://example.org/a.mp3#t=30" in txt and "<" not in txt.replace("<!--", "")
    assert "draft by editor:gpt-4o-mini" in md


def test_markup_from_a_model_is_sanitized_and_never_becomes_a_link(tmp_path: Path):
    evil = 'Read <a href="https://evil.example">this</a> <script>alert(1)</script> [x](https://evil.example) *ok*'
    out = render_newsletter(
        newsletter(evil, title="<img src=x onerror=alert(1)>"), load_settings(write_config(tmp_path, ""))
    )
    html = Tags(out["html"])
    assert not {"script", "img"} & html.tags
    assert html.links == ["https://example.org/a.mp3#t=15", "https://example.org/a.mp3#t=30"]
    assert "&lt;script&gt;" in out["html"] and "<em>ok</em>" in out["html"]
    md_html = MarkdownIt("commonmark").render(out["md"])
    assert "evil.example" not in "".join(re.findall(r'href="([^"]+)"', md_html))
    assert "<script" not in md_html and "<img" not in md_html


def test_a_users_template_folder_wins_and_templates_command_copies_them(tmp_path: Path):
    folder = tmp_path / "my-templates"
    result = CliRunner().invoke(app, ["templates", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in builtin_templates())
    assert f'templates = "{folder}"' in " ".join(result.output.replace("\n", "").split())
    (folder / "newsletter.md.j2").write_text(
        "# {{ newsletter.title }}\n{% for item in newsletter.items %}* {{ item.title | md }} -> {{ item.link }}\n{% endfor %}"
    )
    settings = load_settings(write_config(tmp_path, f'templates = "{folder}"\n'))
    out = render_newsletter(newsletter(), settings)
    assert out["md"] == "# Demo Weekly — 2026-11-22\n* Agents & you -> https://example.org/a.mp3#t=15\n"
    assert "@media" in out["html"]  # the copied HTML template still works
    again = CliRunner().invoke(app, ["templates", str(folder)])
    assert "kept" in again.output and "# {{ newsletter.title }}" in (folder / "newsletter.md.j2").read_text()


def test_a_broken_user_template_names_the_file_and_the_problem(tmp_path: Path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "newsletter.md.j2").write_text("{{ newsletter.itemz }}")
    settings = load_settings(write_config(tmp_path, f'templates = "{folder}"\n'))
    with pytest.raises(TemplateRenderError, match=r"newsletter\.md\.j2.*itemz"):
        render_newsletter(newsletter(), settings)
    (folder / "newsletter.md.j2").write_text("{% for x in %}")
    with pytest.raises(TemplateRenderError, match=r"newsletter\.md\.j2, line 1"):
        render_newsletter(newsletter(), settings)


def test_a_language_is_one_data_file_and_a_user_file_overrides_single_words(tmp_path: Path):
    from newsroom.locales import builtin_codes, language_name, locale
    from newsroom.newsletter.editor import deterministic_intro

    assert {"en", "nl"} <= set(builtin_codes())
    dutch = locale("nl-BE")
    assert dutch.headings["themes"] == "Thema's en Onderwerpen" and dutch.phrases["item"] == "aflevering"
    assert locale("de").headings["themes"] == "Key Subjects and Themes"  # keys a file lacks: English
    assert language_name("nl") == "Dutch (Nederlands)" and language_name("xx") == "xx"

    folder = tmp_path / "my-templates"
    (folder / "locales").mkdir(parents=True)
    (folder / "locales" / "nl.toml").write_text('[headings]\nthemes = "Waar het over ging"\n')
    mine = locale("nl", folder)
    assert mine.headings["themes"] == "Waar het over ging"
    assert mine.headings["conclusion"] == "Conclusie"  # the rest stays as shipped
    assert deterministic_intro("nl", [], folder) == dutch.phrases["empty"]
