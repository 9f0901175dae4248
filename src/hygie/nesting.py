"""How deep and how big data parsed from untrusted text are, measured without recursion.

JSON and YAML readers, pydantic and rdflib recurse into nested lists and mappings: a few kilobytes
nested thousands deep end in a RecursionError (a server error, a traceback). Every reader of such
input checks what it parsed here first, with its own limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def too_deep(node: Any, limit: int) -> bool:
    """Whether lists and mappings nest more than `limit` levels."""
    return excess(node, depth=limit) is not None


def excess(node: Any, *, depth: int, values: int | None = None) -> str | None:
    """What `node` passes, as a message ("nested more than 32 levels deep", "more than 200,000
    values"), or None. Values count every list, mapping and scalar, shared ones each time seen
    (YAML aliases), and the walk stops at the first excess."""
    seen = 0
    stack = [(node, 1)]
    while stack:
        item, level = stack.pop()
        seen += 1
        if values is not None and seen > values:
            return f"more than {values:,} values"
        if isinstance(item, Mapping | list):
            if level > depth:
                return f"nested more than {depth} levels deep"
            children = item.values() if isinstance(item, Mapping) else item
            stack.extend((child, level + 1) for child in children)
    return None
