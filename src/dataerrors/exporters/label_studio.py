"""Label Studio import files: one task per sample, with our suggested label as a prediction.

Each task carries the image (or text), the given label, the DEP and a prediction holding the
suggested label. Label Studio shows the task with the lowest prediction score first (the ``score``
field in its API reference for predictions), so the score is ``1 - DEP`` and the sample most
likely to be wrong comes first. The tasks in the file are also sorted by DEP, highest first.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from ..splits import check_split
from ..store.sample_queries import RunQueries

if TYPE_CHECKING:
    from ..run import Run

#: Sample sets that can become tasks, with what each contains.
SAMPLE_SETS: dict[str, str] = {
    "marked": "samples marked for labeling in the edit log",
    "flagged": "samples flagged as likely mislabeled",
    "edited": "samples with any current edit",
    "all": "every sample of the split",
}
#: Image modes: inside the task (base64), or a reference to Label Studio's local files storage.
IMAGE_MODES = ("embed", "local-files")
MODEL_VERSION = "dataerrors"
#: Names of the control and object tags in :func:`label_studio_config`.
CONTROL_NAME = "label"


def label_studio_tasks(
    run: "Run",
    split: str,
    samples: str = "marked",
    ids: Sequence[Any] | None = None,
    images: str = "embed",
    document_root: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Build Label Studio tasks for the samples of ``split``, highest DEP first.

    Parameters
    ----------
    samples : {"marked", "flagged", "edited", "all"}
        Which samples to send (see :data:`SAMPLE_SETS`); ignored when ``ids`` is given.
    ids : sequence, optional
        Exactly these sample ids.
    images : {"embed", "local-files"}
        "embed" puts each image into its task as a base64 data URI (stored PNG bytes, or the
        logged file's bytes). "local-files" refers to logged image files through Label Studio's
        local files storage (``/data/local-files/?d=<path relative to document_root>``).
    document_root : path, optional
        Label Studio's ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT``; required for "local-files".

    Returns
    -------
    list of dict
        Tasks with ``data`` (image or text, id, split, given_label, edited_label, dep,
        suggested_label) and one prediction whose ``score`` is ``1 - dep``.
    """
    split = check_split(split)
    if samples not in SAMPLE_SETS:
        raise InvalidInputError(
            f"samples={samples!r} is invalid; use one of {', '.join(SAMPLE_SETS)}."
        )
    if images not in IMAGE_MODES:
        raise InvalidInputError(f"images={images!r} is invalid; use one of {', '.join(IMAGE_MODES)}.")
    if images == "local-files" and document_root is None:
        raise InvalidInputError(
            "images='local-files' needs document_root, the folder Label Studio serves local "
            "files from (LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT)."
        )
    frame = _chosen_samples(run, split, samples, ids)
    frame = frame.sort_values("dep", ascending=False, kind="stable", na_position="last")
    is_text = run.task == "text_classification"
    inputs = _inputs(run, split, frame["id"].tolist(), include_image=not is_text and images == "embed")
    object_name = "text" if is_text else "image"
    tasks = []
    for record in frame.to_dict(orient="records"):
        stored = inputs.get(record["id"], {})
        data: dict[str, Any] = {
            object_name: _task_input(stored, is_text, images, document_root, record["id"]),
            "id": _plain(record["id"]),
            "split": split,
            "given_label": record["label_name"],
            "edited_label": record["edited_label_name"] if record["is_relabeled"] else None,
            "dep": _plain(record["dep"]),
            "suggested_label": record["suggested_label_name"],
        }
        task: dict[str, Any] = {"data": data}
        if record["suggested_label_name"] is not None:
            dep = _plain(record["dep"])
            task["predictions"] = [
                {
                    "model_version": MODEL_VERSION,
                    "score": None if dep is None else round(1.0 - dep, 6),
                    "result": [
                        {
                            "id": f"suggested-{data['id']}",
                            "from_name": CONTROL_NAME,
                            "to_name": object_name,
                            "type": "choices",
                            "value": {"choices": [record["suggested_label_name"]]},
                        }
                    ],
                }
            ]
        tasks.append(task)
    return tasks


def label_studio_config(run: "Run") -> str:
    """Return a Label Studio labeling configuration (XML) that matches the exported tasks."""
    is_text = run.task == "text_classification"
    object_tag = '<Text name="text" value="$text"/>' if is_text else '<Image name="image" value="$image"/>'
    choices = "\n".join(f"    <Choice value={quoteattr(name)}/>" for name in run.class_names)
    return (
        "<View>\n"
        f"  {object_tag}\n"
        '  <Header value="Given label: $given_label (DEP $dep, suggested: $suggested_label)"/>\n'
        f'  <Choices name="{CONTROL_NAME}" toName="{"text" if is_text else "image"}" '
        'choice="single" showInLine="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        "</View>\n"
    )


def export_label_studio(
    run: "Run",
    split: str,
    out: str | Path,
    samples: str = "marked",
    ids: Sequence[Any] | None = None,
    images: str = "embed",
    document_root: str | Path | None = None,
) -> Path:
    """Write :func:`label_studio_tasks` to ``out`` as a JSON list and return the path.

    The matching labeling configuration is written beside it as ``<out stem>.label_config.xml``.
    """
    out = Path(out)
    tasks = label_studio_tasks(run, split, samples, ids, images, document_root)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(tasks, indent=1) + "\n", encoding="utf-8")
    out.with_name(f"{out.stem}.label_config.xml").write_text(label_studio_config(run), encoding="utf-8")
    return out


# ----------------------------------------------------------------------------- helpers


def _chosen_samples(run: "Run", split: str, samples: str, ids: Sequence[Any] | None) -> pd.DataFrame:
    frame = run.samples(split, apply_edits=True)
    if ids is not None:
        wanted = list(ids)
        chosen = frame[frame["id"].isin(wanted)]
        if len(chosen) != len(set(wanted)):
            missing = sorted(set(wanted) - set(chosen["id"].tolist()), key=str)[:5]
            raise InvalidInputError(
                f"ids contains ids not logged in split {split!r}, for example {missing}; pass "
                "logged sample ids."
            )
        return chosen
    if samples == "marked":
        return frame[frame["is_marked_for_labeling"]]
    if samples == "flagged":
        return frame[frame["is_likely_mislabeled"].fillna(False).astype(bool)]
    if samples == "edited":
        return frame[frame["is_relabeled"] | frame["is_removed"] | frame["is_marked_for_labeling"]]
    return frame


def _inputs(run: "Run", split: str, ids: list[Any], include_image: bool) -> dict[Any, dict[str, Any]]:
    queries = RunQueries(run.layout)
    try:
        table = queries.sample_inputs(split, ids, include_image=include_image)
    finally:
        queries.close()
    return {row["id"]: row for row in table.to_pylist()}


def _task_input(
    stored: dict[str, Any], is_text: bool, images: str, document_root: str | Path | None,
    sample_id: Any,
) -> str | None:
    if is_text:
        return stored.get("input")
    image, path = stored.get("image"), stored.get("input")
    if images == "local-files":
        if not path:
            raise InvalidInputError(
                f"sample {sample_id!r} has no image file (its image is stored inside the run); "
                "embed the images instead (images='embed' in Python, --images embed on the "
                "command line)."
            )
        root = Path(document_root).resolve()  # type: ignore[arg-type]
        try:
            relative = Path(path).resolve().relative_to(root)
        except ValueError:
            raise InvalidInputError(
                f"the image {path} of sample {sample_id!r} is not under document_root={str(root)!r}; "
                "pass the folder that contains every image."
            ) from None
        return f"/data/local-files/?d={quote(relative.as_posix())}"
    if image is not None:
        return "data:image/png;base64," + base64.b64encode(image).decode("ascii")
    if path:
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        try:
            content = Path(path).read_bytes()
        except OSError as error:
            raise InvalidInputError(
                f"the image {path} of sample {sample_id!r} cannot be read ({error}); restore the "
                "file or export with images='local-files'."
            ) from error
        return f"data:{media_type};base64," + base64.b64encode(content).decode("ascii")
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
