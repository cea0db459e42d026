"""Prompts are versioned Jinja2 files under `prompts/`; a changed prompt is a new file.

A prompt's id is `<name>@<hash of its text>`, and that id is part of the cache key of every task
that uses it, so a new or edited prompt recomputes exactly what it affects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from newsroom._env import PACKAGE_DIR, project_root


def prompts_dir() -> Path:
    for candidate in (project_root() / "prompts", PACKAGE_DIR / "_bundled" / "prompts"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("prompts/ folder not found")


@dataclass(frozen=True)
class Prompt:
    """One prompt file: `{% block system %}` and `{% block user %}`, rendered with StrictUndefined."""

    name: str  # e.g. "summarize/episode.v1"
    source: str

    @property
    def version(self) -> str:
        return f"{self.name.split('/')[-1]}@{hashlib.sha256(self.source.encode()).hexdigest()[:10]}"

    def render(self, **variables: Any) -> tuple[str, str]:
        """(system, user) messages."""
        template = _compile(self.source)
        context = template.new_context(variables)
        parts = {}
        for block in ("system", "user"):
            if block not in template.blocks:
                raise ValueError(f"prompt {self.name} has no {{% block {block} %}}")
            parts[block] = "".join(template.blocks[block](context)).strip()
        return parts["system"], parts["user"]


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)


@cache
def _compile(source: str) -> jinja2.Template:
    """A prompt's template, compiled once (every map part, reduce and editor run renders it)."""
    return _ENV.from_string(source)


@cache
def load_prompt(group: str, name: str) -> Prompt:
    """`load_prompt("summarize", "episode.v1")` reads prompts/summarize/episode.v1.md.j2."""
    path = prompts_dir() / group / f"{name}.md.j2"
    if not path.is_file():
        available = sorted(p.name.removesuffix(".md.j2") for p in (prompts_dir() / group).glob("*.md.j2"))
        raise FileNotFoundError(f"no prompt {group}/{name} (available: {', '.join(available) or 'none'})")
    return Prompt(f"{group}/{name}", path.read_text(encoding="utf-8"))
