"""Offline token counting (bpe-openai bundles the encodings tiktoken would download)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bpe-openai loads its encodings on import (~1 s): only when counting tokens
    import bpe_openai


@cache
def _encoding(name: str) -> bpe_openai.Encoding:
    import bpe_openai

    return bpe_openai.get_encoding(name)


def encoding_for(model: str) -> str:
    """o200k for the 4o/4.1/5 families and unknown models; cl100k for older ones and for whisper-1,
    whose GPT-2-style tokenizer is not bundled offline (cl100k counts within ~10 % of it)."""
    if model.startswith(("whisper", "gpt-3.5", "gpt-4-", "text-embedding")) or model == "gpt-4":
        return "cl100k_base"
    return "o200k_base"


def count_tokens(text: str, model: str = "gpt-4o-mini") -> int:
    return len(_encoding(encoding_for(model)).encode(text))


def keep_last_tokens(text: str, limit: int, model: str) -> str:
    """The end of `text` that fits in `limit` tokens (whisper-1 reads only its prompt's last 224)."""
    enc = _encoding(encoding_for(model))
    ids = enc.encode(text)
    if len(ids) <= limit:
        return text
    return enc.decode(ids[-limit:]).lstrip()
