"""Which customers are online: a count of open sockets per customer.

``customer:online`` is emitted when a customer's first socket opens and
``customer:offline`` when their last one closes, so several tabs count once.
"""

from __future__ import annotations

from collections import Counter

from .roles import Profile

_sockets: Counter[int] = Counter()


def join(profile: Profile) -> bool:
    """Count a socket of this customer; True when it is their first."""
    _sockets[profile.id] += 1
    return _sockets[profile.id] == 1


def leave(profile: Profile) -> bool:
    """Uncount a socket of this customer; True when it was their last."""
    if _sockets[profile.id] <= 1:
        _sockets.pop(profile.id, None)
        return True
    _sockets[profile.id] -= 1
    return False


def online_count() -> int:
    return len(_sockets)
