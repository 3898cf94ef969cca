"""The run folder: the only code that knows file names and formats."""

from .layout import RunLayout, default_root
from .manifest import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "RunLayout", "default_root"]
