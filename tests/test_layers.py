"""The layering holds: no import circles (function-level imports count), stages import only
downwards, and Prefect stays in its layers. Read from the source with `ast`; nothing is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("newsroom", "flows", "tasks", "deployments")

# From the bottom up: a module may import its own layer and the layers below it, never above.
LAYERS = [
    "newsroom",  # the core: config, models, store, secrets, net, prompts, locales, ...
    "newsroom.sources",
    "newsroom.transcripts",
    "newsroom.summaries",
    "newsroom.newsletter",
    "newsroom.publishers",
    "newsroom.ops",
    "newsroom.app",
]
ENTRY = ("flows", "tasks", "deployments")  # may import any layer; only newsroom.app imports them
PREFECT_LAYERS = ("flows", "tasks", "deployments", "newsroom.ops", "newsroom.app")
PREFECT_EXCEPTIONS = {
    # API keys and SMTP passwords may live in Prefect Secret blocks (read lazily, only when named).
    "newsroom.secrets": "Secret blocks",
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imported(path: Path) -> Iterator[tuple[str, int]]:
    """Every module name an import statement anywhere in the file names (in functions too)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # a submodule, or a name in the module (resolved below)
                yield f"{node.module}.{alias.name}", node.lineno


def own_module(name: str) -> str | None:
    """The project module an imported name lives in (`newsroom.sources.ytdlp`, not the package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for name, _ in imported(path):
            target = own_module(name)
            if target and target != module:
                edges[module].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def layer_of(module: str) -> int | None:
    if module.split(".")[0] in ENTRY:
        return None
    if module == "newsroom.__main__":  # `python -m newsroom`: the command's entry point
        return LAYERS.index("newsroom.app")
    return max(i for i, layer in enumerate(LAYERS) if module == layer or module.startswith(layer + "."))


def test_there_are_no_import_circles():
    assert cycles(graph()) == []


def test_the_graph_is_read_as_python_runs_it():
    edges = graph()
    assert (
        "newsroom.sources.ytdlp" in edges["newsroom.sources.youtube"]
    )  # `from newsroom.sources import ytdlp`
    assert "newsroom.sources" in edges["tasks.discover"]  # `from newsroom.sources import discover`
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_stages_import_only_downwards():
    wrong = []
    for module, targets in graph().items():
        mine = layer_of(module)
        for target in targets:
            theirs = layer_of(target)
            if theirs is None and mine is not None and mine != LAYERS.index("newsroom.app"):
                wrong.append(f"{module} -> {target} (only newsroom.app imports flows/, tasks/, deployments/)")
            elif mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} ({LAYERS[mine]}) -> {target} ({LAYERS[theirs]})")
    assert wrong == []


def test_prefect_stays_in_its_layers():
    wrong = []
    for module, path in MODULES.items():
        if module.startswith(PREFECT_LAYERS) or module in PREFECT_EXCEPTIONS:
            continue
        for name, line in imported(path):
            if name.split(".")[0] in ("prefect", "prefect_dask"):
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert sorted(set(wrong)) == []
