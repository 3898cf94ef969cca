"""Checks and conversions at the public boundary of the logging API.

Each function takes what a user passed, converts it to a numpy array and raises
:class:`~dataerrors.errors.InvalidInputError` naming the argument, the value and the fix when it is
not usable. Code behind the boundary trusts what these functions return.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from .errors import InvalidInputError, RenormalizedProbabilitiesWarning

# Sums of probabilities may drift from 1 by rounding only: float32 softmax over 1000 classes stays
# well within 1e-3, float16 or bfloat16 within 2e-2. Anything further off is not a probability vector.
_SUM_TOLERANCE_EXACT = 1e-6
_SUM_TOLERANCE_ROUNDING = {np.dtype(np.float16): 2e-2}
_SUM_TOLERANCE_DEFAULT = 1e-3


def to_numpy(value: Any, argument: str) -> np.ndarray:
    """Convert a numpy array, a torch tensor (any device, with or without grad) or a list.

    The result never shares memory with ``value``, so a caller may reuse its buffers right away.
    """
    if value is None:
        raise InvalidInputError(f"{argument} is missing; pass an array.")
    module = type(value).__module__
    if module.startswith("torch"):
        tensor = value.detach()
        if str(tensor.dtype) == "torch.bfloat16":
            tensor = tensor.float()
        return np.array(tensor.cpu().numpy(), copy=True)
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        return np.array(value.to_numpy(), copy=True)
    try:
        return np.array(value, copy=True)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"{argument} could not be converted to an array ({error}); pass a numpy array, "
            "a torch tensor or a list."
        ) from error


def check_ids(ids: Any, argument: str = "ids") -> np.ndarray:
    """Return ``ids`` as a 1-D int64 or str array without duplicates."""
    array = to_numpy(ids, argument)
    if array.ndim != 1:
        raise InvalidInputError(
            f"{argument} has shape {array.shape}; expected a 1-D sequence of sample ids."
        )
    if array.size == 0:
        raise InvalidInputError(f"{argument} is empty; pass at least one sample id.")
    if array.dtype.kind in "iu":
        array = array.astype(np.int64)
    elif array.dtype.kind in "UO":
        if not all(isinstance(value, str) for value in array.tolist()):
            raise InvalidInputError(
                f"{argument} mixes strings with other types; use all int ids or all str ids."
            )
        array = array.astype(str)
    else:
        raise InvalidInputError(
            f"{argument} has dtype {array.dtype}; sample ids must be integers or strings."
        )
    unique, counts = np.unique(array, return_counts=True)
    if unique.size != array.size:
        repeated = unique[counts > 1][:5].tolist()
        raise InvalidInputError(
            f"{argument} contains duplicate ids {repeated} in one call; each sample may appear "
            "once per call."
        )
    return array


def check_epoch(epoch: Any) -> int:
    """Return ``epoch`` as a non-negative int."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)):
        raise InvalidInputError(f"epoch={epoch!r} is not an int; pass the epoch number (0, 1, ...).")
    if epoch < 0:
        raise InvalidInputError(f"epoch={epoch} is negative; epochs count from 0.")
    return int(epoch)


def check_labels(labels: Any, class_names: Sequence[str], n_samples: int) -> np.ndarray:
    """Return ``labels`` as int32 class indices, accepting indices or class names."""
    array = to_numpy(labels, "labels")
    if array.ndim != 1 or array.shape[0] != n_samples:
        raise InvalidInputError(
            f"labels has shape {array.shape}; expected ({n_samples},), one label per id."
        )
    n_classes = len(class_names)
    if array.dtype.kind in "UO":
        lookup = {name: index for index, name in enumerate(class_names)}
        unknown = sorted({str(value) for value in array.tolist() if value not in lookup})
        if unknown:
            raise InvalidInputError(
                f"labels contains unknown class names {unknown[:5]}; the run's classes are "
                f"{list(class_names)[:20]}{' ...' if n_classes > 20 else ''}. Fix the names or "
                "create the run with these classes."
            )
        return np.array([lookup[value] for value in array.tolist()], dtype=np.int32)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise InvalidInputError(
                "labels contains non-integer values; pass class indices or class names."
            )
    elif array.dtype.kind not in "iu":
        raise InvalidInputError(
            f"labels has dtype {array.dtype}; pass class indices (int) or class names (str)."
        )
    out_of_range = array[(array < 0) | (array >= n_classes)]
    if out_of_range.size:
        raise InvalidInputError(
            f"labels contains {np.unique(out_of_range)[:5].tolist()}, out of range for "
            f"{n_classes} classes; labels must be in [0, {n_classes - 1}]."
        )
    return array.astype(np.int32)


def check_scores(
    logits: Any, probs: Any, n_samples: int, n_classes: int, stores: bool = True
) -> tuple[np.ndarray, bool]:
    """Return the model outputs as float32 (n_samples, n_classes) and whether they are logits.

    Probabilities that sum to 1 only up to rounding are renormalized with a
    :class:`RenormalizedProbabilitiesWarning`. ``stores`` says whether the caller stores what
    passes, so that a rejection message can state that nothing was stored.
    """
    if logits is not None and probs is not None:
        raise InvalidInputError("both logits and probs were given; pass only one of them.")
    if logits is None and probs is None:
        raise InvalidInputError("neither logits nor probs was given; pass one of them.")
    argument = "logits" if logits is not None else "probs"
    array = to_numpy(logits if logits is not None else probs, argument)
    if array.ndim != 2 or array.shape != (n_samples, n_classes):
        raise InvalidInputError(
            f"{argument} has shape {array.shape}; expected ({n_samples}, {n_classes}): one row "
            f"per id and one column per class of the run."
        )
    if array.dtype.kind not in "fiu":
        raise InvalidInputError(f"{argument} has dtype {array.dtype}; pass floating-point values.")
    input_dtype = array.dtype
    array = array.astype(np.float32, copy=False)
    _check_finite(array, argument, stores)
    if argument == "logits":
        return array, True
    return _check_probability_rows(array, input_dtype), False


def check_embeddings(
    embeddings: Any, n_samples: int, expected_dim: int | None, stores: bool = True
) -> np.ndarray:
    """Return embeddings as float32 (n_samples, n_dims), with n_dims equal to earlier batches'."""
    array = to_numpy(embeddings, "embeddings")
    if array.ndim != 2:
        raise InvalidInputError(
            f"embeddings has shape {array.shape}; expected ({n_samples}, n_dims), one row per "
            "sample. Flatten or pool feature maps into one vector per sample."
        )
    if array.shape[0] != n_samples:
        raise InvalidInputError(
            f"embeddings has shape {array.shape}; expected ({n_samples}, n_dims), one row per "
            "sample."
        )
    if array.shape[1] == 0:
        raise InvalidInputError("embeddings has width 0; pass at least one dimension.")
    if expected_dim is not None and array.shape[1] != expected_dim:
        raise InvalidInputError(
            f"embeddings has width {array.shape[1]} but earlier batches of this run had width "
            f"{expected_dim}; log the same layer in every batch."
        )
    if array.dtype.kind not in "fiu":
        raise InvalidInputError(f"embeddings has dtype {array.dtype}; pass floating-point values.")
    array = array.astype(np.float32, copy=False)
    _check_finite(array, "embeddings", stores)
    return array


def _check_finite(array: np.ndarray, argument: str, stores: bool) -> None:
    finite = np.isfinite(array)
    if finite.all():
        return
    bad_rows = np.flatnonzero(~finite.all(axis=1))
    raise InvalidInputError(
        f"{argument} contains NaN or infinite values in {bad_rows.size} row(s), first at row "
        f"{int(bad_rows[0])}; check the model for divergence (learning rate, mixed-precision "
        "overflow)." + (" Nothing from this call was stored." if stores else "")
    )


def _check_probability_rows(probs: np.ndarray, input_dtype: np.dtype) -> np.ndarray:
    if (probs < 0).any() or (probs > 1 + _SUM_TOLERANCE_DEFAULT).any():
        raise InvalidInputError(
            "probs contains values outside [0, 1]; pass softmax probabilities, or pass raw scores "
            "as logits=..."
        )
    sums = probs.sum(axis=1, dtype=np.float64)
    deviation = np.abs(sums - 1.0)
    worst = float(deviation.max())
    if worst <= _SUM_TOLERANCE_EXACT:
        return probs
    tolerance = _SUM_TOLERANCE_ROUNDING.get(input_dtype, _SUM_TOLERANCE_DEFAULT)
    if worst > tolerance:
        row = int(deviation.argmax())
        raise InvalidInputError(
            f"probs row {row} sums to {sums[row]:.6g}, {worst:.3g} away from 1 (tolerance "
            f"{tolerance:g} for {input_dtype}). If these are probabilities rounded to a few "
            "digits, divide each row by its sum (probs / probs.sum(axis=1, keepdims=True)); if "
            "they are raw scores, pass them as logits=..."
        )
    warnings.warn(
        f"probs rows sum to 1 only within {worst:.2g}; renormalized them.",
        RenormalizedProbabilitiesWarning,
        stacklevel=4,
    )
    return (probs / sums[:, None]).astype(np.float32)


TASKS = ("image_classification", "text_classification")


def check_inputs(
    inputs: Any, n_samples: int, task: str, check_files: bool
) -> tuple[list[str] | None, np.ndarray | list[np.ndarray] | None]:
    """Sort ``inputs`` into strings (image paths or texts) or in-memory uint8 images.

    Returns ``(strings, images)``; at most one is not None. Image paths are made absolute and,
    when ``check_files`` is set, must exist.
    """
    if inputs is None:
        return None, None
    if isinstance(inputs, np.ndarray) and inputs.dtype.kind in "iuf" or _is_tensor(inputs):
        return None, _check_images(to_numpy(inputs, "inputs"), n_samples)
    values = list(inputs)
    if len(values) != n_samples:
        raise InvalidInputError(
            f"inputs has {len(values)} items; expected {n_samples}, one per id."
        )
    if values and all(isinstance(value, np.ndarray) for value in values):
        return None, [_check_image(value, index) for index, value in enumerate(values)]
    strings = []
    for index, value in enumerate(values):
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InvalidInputError(
                    f"inputs[{index}] is bytes that are not valid UTF-8 ({error}); decode the "
                    "text with its real encoding first."
                ) from error
        elif hasattr(value, "__fspath__"):
            value = str(value)
        if not isinstance(value, str):
            raise InvalidInputError(
                f"inputs[{index}] has type {type(value).__name__}; pass image paths, texts or "
                "uint8 image arrays."
            )
        strings.append(value)
    if task == "text_classification":
        return strings, None
    import os

    paths = [os.path.abspath(value) for value in strings]
    if check_files:
        missing = [path for path in paths if not os.path.isfile(path)]
        if missing:
            raise InvalidInputError(
                f"inputs names {len(missing)} image file(s) that do not exist, for example "
                f"{missing[:3]}; fix the paths, or pass check_files=False to log them anyway "
                "(the console then shows a placeholder). If the inputs are texts, create the "
                "run with dataerrors.init(..., task='text_classification')."
            )
    return paths, None


def check_metadata(metadata: Any, n_samples: int, reserved: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Return metadata as a dict of 1-D columns of length ``n_samples``."""
    if metadata is None:
        return {}
    if hasattr(metadata, "to_dict") and hasattr(metadata, "columns"):
        metadata = {str(name): metadata[name].to_numpy() for name in metadata.columns}
    if not isinstance(metadata, dict):
        raise InvalidInputError(
            f"metadata has type {type(metadata).__name__}; pass a dict of column name to values "
            "or a pandas DataFrame."
        )
    columns = {}
    for name, values in metadata.items():
        if not isinstance(name, str) or not name:
            raise InvalidInputError(f"metadata column name {name!r} is not a non-empty string.")
        if name in reserved:
            raise InvalidInputError(
                f"metadata column {name!r} clashes with a built-in column; rename it "
                f"(reserved: {', '.join(reserved)})."
            )
        array = to_numpy(values, f"metadata[{name!r}]")
        if array.ndim != 1 or array.shape[0] != n_samples:
            raise InvalidInputError(
                f"metadata[{name!r}] has shape {array.shape}; expected ({n_samples},), one value "
                "per id."
            )
        columns[name] = array
    return columns


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


def _check_images(array: np.ndarray, n_samples: int) -> np.ndarray:
    if array.shape[0] != n_samples or array.ndim not in (3, 4):
        raise InvalidInputError(
            f"inputs has shape {array.shape}; expected ({n_samples}, height, width) or "
            f"({n_samples}, height, width, channels) uint8 images."
        )
    return np.stack([_check_image(image, index) for index, image in enumerate(array)])


def _check_image(image: np.ndarray, index: int) -> np.ndarray:
    if image.ndim == 3 and image.shape[-1] not in (1, 3, 4):
        raise InvalidInputError(
            f"inputs[{index}] has shape {image.shape}; channels must be last (H, W, C) with C in "
            "1, 3 or 4."
        )
    if image.ndim not in (2, 3):
        raise InvalidInputError(f"inputs[{index}] has shape {image.shape}; expected (H, W) or (H, W, C).")
    if image.dtype != np.uint8:
        raise InvalidInputError(
            f"inputs[{index}] has dtype {image.dtype}; in-memory images must be uint8 in [0, 255]."
        )
    return image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
