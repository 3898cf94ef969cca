"""Hugging Face Transformers integration; needs the ``transformers`` extra.

See :mod:`dataerrors.integrations.transformers`.
"""

from .integrations.transformers import DataErrorsCallback, IdCollator, watch

__all__ = ["DataErrorsCallback", "IdCollator", "watch"]
