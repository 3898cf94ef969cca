"""Exceptions and warnings raised by dataerrors.

Every error message names the argument, the value received, what was expected and how to fix it.
"""

from __future__ import annotations


class DataErrorsError(Exception):
    """Base class of every error that dataerrors raises on purpose."""


class InvalidInputError(DataErrorsError, ValueError):
    """An argument of a public function is invalid. Nothing was written."""


class UnknownIdError(InvalidInputError):
    """Outputs name sample ids that were never logged with ``run.log_samples`` for that split."""


class RunExistsError(DataErrorsError, FileExistsError):
    """A run folder already exists and the caller asked for neither overwrite nor resume."""


class RunNotFoundError(DataErrorsError, FileNotFoundError):
    """A run folder, or a file the run needs, is missing."""


class SchemaVersionError(DataErrorsError):
    """A run folder was written by a newer version of dataerrors than the one reading it."""


class WriterError(DataErrorsError, OSError):
    """The background writer failed to store a batch (disk full, permissions, ...)."""


class DataErrorsWarning(UserWarning):
    """Base class of every warning that dataerrors emits."""


class RenormalizedProbabilitiesWarning(DataErrorsWarning):
    """Probabilities summed to 1 only up to rounding and were renormalized."""


class DegenerateInputWarning(DataErrorsWarning):
    """A score or metric had a zero denominator or too little data and used a documented fill value."""


class MissingDependencyWarning(DataErrorsWarning):
    """An optional dependency is not installed, so an analysis step was skipped."""


class SkippedSignalWarning(DataErrorsWarning):
    """A score was computed without one of its signals (for example neighbours), as documented."""


class StaleAnalysisWarning(DataErrorsWarning):
    """Outputs were logged after the last analysis, so the scores read are from the earlier ones."""
