"""PyTorch Lightning integration; needs the ``lightning`` extra.

See :mod:`dataerrors.integrations.lightning`.
"""

from .integrations.lightning import DataErrorsCallback

__all__ = ["DataErrorsCallback"]
