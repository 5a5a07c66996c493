"""Remember the values a model instance was loaded with, to find transitions.

Signal receivers compare ``instance.loaded_value(field)`` with the new value
(status, price, quantity) without an extra query per save.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


class TracksFields:
    """Model mixin: keeps the loaded values of ``tracked_fields``, refreshed on save."""

    tracked_fields: tuple[str, ...] = ()

    @classmethod
    def from_db(cls, db: str, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)  # type: ignore[misc]
        instance._loaded = {
            name: value for name, value in zip(field_names, values, strict=False)
            if name in cls.tracked_fields
        }
        return instance

    def loaded_value(self, field: str, default: Any = None) -> Any:
        """The value at load or last save; ``default`` for a new instance."""
        return getattr(self, "_loaded", {}).get(field, default)

    def remember_saved(self) -> None:
        """Called once the transitions of a save are emitted: the new values are the base."""
        self._loaded = {name: getattr(self, name) for name in self.tracked_fields}
