"""Jinja2 rendering of the newsletter (Markdown, HTML email, plain text) and the episode notes.

Templates live in `newsroom/newsletter/templates/`; a `templates` folder named in newsroom.toml is searched
first, so copying one file there and editing it changes the layout. HTML templates autoescape, and
any inline markup a model wrote is cleaned with nh3 before it is marked safe.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import nh3
from markupsafe import Markup

from newsroom.models import clock

BUILTIN = Path(__file__).resolve().parent / "templates"
ALLOWED_TAGS = {"b", "strong", "em", "i", "code", "br"}


def inline_html(text: str) -> Markup:
    """Model text with **bold** and *italic* as safe HTML. Links a model writes stay text: every
    link in a newsletter comes from the template and points into a source."""
    escaped = html.escape(text, quote=False)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    escaped = re.sub(r"(?<!\*)\*(?!\s)(.+?)(?<!\s)\*(?!\*)", r"<em>\1</em>", escaped)
    return Markup(nh3.clean(escaped, tags=ALLOWED_TAGS, attributes={}))  # sanitized by nh3


def md_escape(text: str) -> str:
    """Keep text from a source or model from becoming Markdown structure (links, headings, HTML)."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([\[\]<>`])", r"\\\1", text)
    return re.sub(r"^(\s*)([#>|-])", r"\1\\\2", text, flags=re.MULTILINE)


@cache
def environment(user_dir: str | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if user_dir:
        loaders.append(jinja2.FileSystemLoader(user_dir))
    loaders.append(jinja2.FileSystemLoader(str(BUILTIN)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["ts"] = clock
    env.filters["inline_html"] = inline_html
    env.filters["md"] = md_escape
    return env


class TemplateRenderError(Exception):
    """A template (usually a user's copy) cannot be rendered; the message names the file and line."""


def render(template: str, user_dir: Path | None = None, **context: Any) -> str:
    env = environment(str(user_dir) if user_dir and Path(user_dir).is_dir() else None)
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateRenderError(f"{exc.filename or template}, line {exc.lineno}: {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        where = _template_file(env, template)
        raise TemplateRenderError(
            f"{where}: {exc.message} (see the README's Templates section for the variables)"
        ) from exc


def _template_file(env: jinja2.Environment, name: str) -> str:
    try:
        return env.get_template(name).filename or name
    except jinja2.TemplateError:
        return name


def builtin_templates() -> list[Path]:
    """The templates newsroom ships (copy one into your `templates` folder to change it)."""
    return sorted(BUILTIN.glob("*.j2"))
