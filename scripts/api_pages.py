"""The Python API pages of the documentation site, generated from the source tree.

An MkDocs hook (``hooks:`` in ``mkdocs.yml``): ``on_files`` adds ``api/<package>.md``
for each workflow package and ``api/core.md`` for the core, each listing every module
of its packages for mkdocstrings, so a new module is documented without editing a page.
Run as a script to print the pages.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src" / "seislearn"

WORKFLOWS = {
    "azimuth": (
        "Back-azimuth and incidence of P at one station: the VAE, its heads and losses, "
        "training, evaluation against polarization analysis.",
        "azimuth.md",
    ),
    "cluster": (
        "Deep embedded clustering of spectrograms: features, the convolutional autoencoder, "
        "the `DeepEmbeddedClustering` estimator, choosing k, training and evaluation.",
        "cluster.md",
    ),
    "classify": (
        "Spectrogram CNNs for event classes and magnitudes: windows and features, models, "
        "training, evaluation, baselines.",
        "classify.md",
    ),
    "explain": (
        "SHAP and Integrated Gradients maps for classify models, with a deletion-curve "
        "faithfulness check.",
        "classify.md",
    ),
    "images": (
        "Clustering seismic image patches and scoring anomalies: feature extractors, "
        "self-supervised training, the saved pipeline.",
        "images.md",
    ),
    "papers": (
        "The deep-learning seismology literature database: download, load, clean, query, "
        "export and the explorer page.",
        "papers.md",
    ),
}
CORE_PACKAGES = (
    "io",
    "data",
    "features",
    "models",
    "training",
    "evaluation",
    "clustering",
    "report",
)
APPLICATION_MODULES = ("demo",)
#: Every other top-level module of seislearn (runs, config, sizes, errors, ...).
CORE_MODULES = tuple(
    p.stem
    for p in sorted(SRC.glob("*.py"))
    if not p.stem.startswith("_") and p.stem not in APPLICATION_MODULES
)


def modules(package: str) -> list[str]:
    """``seislearn.PACKAGE`` and its modules, in name order (private ones left out)."""
    names = [f"seislearn.{package}"]
    for path in sorted((SRC / package).glob("*.py")):
        if not path.stem.startswith("_"):
            names.append(f"seislearn.{package}.{path.stem}")
    return names


def directives(names: list[str]) -> list[str]:
    """One mkdocstrings block per module; a package shows its docstring only (its names
    are documented in the modules that define them)."""
    lines = []
    for name in names:
        lines.append(f"::: {name}")
        if (SRC / Path(*name.split(".")[1:]) / "__init__.py").exists():
            lines += ["    options:", "      members: false"]
        lines.append("")
    return lines


def workflow_page(package: str) -> str:
    summary, page = WORKFLOWS[package]
    lines = [
        f"# `seislearn.{package}`",
        "",
        f"{summary} The workflow is described in [{page[:-3]}](../{page}).",
        "",
        "Generated from the docstrings by mkdocstrings; the list of modules is generated "
        "from the source tree by `scripts/api_pages.py`.",
        "",
    ]
    return "\n".join(lines + directives(modules(package)))


def core_page() -> str:
    lines = [
        "# The core",
        "",
        "The packages every workflow builds on (none of them imports a workflow): readers, "
        "the dataset, windows, splits and checks, spectrograms, shared models and "
        "serialization, training helpers, shared metrics and polarization analysis, the "
        "HTML report, runs, configs, the size switch and errors. See "
        "[the data layer](../data.md) and [conventions](../conventions.md).",
        "",
        "Generated from the docstrings by mkdocstrings; the list of modules is generated "
        "from the source tree by `scripts/api_pages.py`.",
        "",
    ]
    for package in CORE_PACKAGES:
        lines += directives(modules(package))
    lines += directives([f"seislearn.{m}" for m in CORE_MODULES])
    lines += [
        "## The application",
        "",
        "The demo that runs every workflow briefly into one report (`seislearn demo`).",
        "",
    ]
    lines += directives([f"seislearn.{m}" for m in APPLICATION_MODULES])
    return "\n".join(lines)


def pages() -> dict[str, str]:
    """Page path (relative to docs/) -> Markdown."""
    out = {f"api/{package}.md": workflow_page(package) for package in WORKFLOWS}
    out["api/core.md"] = core_page()
    return out


def on_files(files: Any, config: Any) -> Any:
    """MkDocs hook: add the generated API pages to the site's files."""
    from mkdocs.structure.files import File

    for path, content in pages().items():
        files.append(File.generated(config, path, content=content))
    return files


if __name__ == "__main__":
    for path, content in pages().items():
        sys.stdout.write(f"<!-- {path} -->\n{content}\n")
