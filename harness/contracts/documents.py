"""The committed OpenAPI documents, read as files: what the checker and the tests judge against."""

from __future__ import annotations

import json
from typing import Any

from contracts import OPENAPI, SYSTEMS

__all__ = ["OPENAPI", "SYSTEMS", "committed", "inlined"]


def committed(system: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OPENAPI / f"{system}.json").read_text())
    return loaded


def inlined(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every ``#/components/...`` reference replaced by what it names (no cycles)."""

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target: Any = document
                for step in ref[2:].split("/"):
                    target = target[step.replace("~1", "/").replace("~0", "~")]
                return resolve(target)
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(document)
    return resolved
