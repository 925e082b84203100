"""A consumer's pact file replayed against the mocks with pact-python's verifier.

The consumer's interactions run, one by one, against the four mocks served on one loopback port
(see ``served_mocks``), each after its provider states were seeded (see ``provider_states``). The
verifier's own JSON result is read back into one outcome per interaction, so a failure names the
interaction and what did not match.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pact import Verifier

from harness.contracts import provider_states
from harness.contracts.served_mocks import ServedMocks

ERP_PREFIX = "/services/rest/"


class PactFileError(ValueError):
    """The file is missing, unreadable, or not a pact: nothing could be verified."""


@dataclass(slots=True)
class InteractionOutcome:
    description: str
    passed: bool
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PactVerification:
    consumer: str
    provider: str
    outcomes: list[InteractionOutcome]
    output: str

    @property
    def passed(self) -> bool:
        return bool(self.outcomes) and all(outcome.passed for outcome in self.outcomes)


def read_pact(path: Path) -> dict[str, Any]:
    """The pact's JSON, checked for the parts a verifier needs before anything is served."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PactFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PactFileError(f"{path}: cannot read it ({exc})") from exc
    try:
        pact = json.loads(text)
    except ValueError as exc:
        raise PactFileError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(pact, dict):
        raise PactFileError(f"{path}: not a pact (expected a JSON object with consumer, provider, interactions)")
    missing = [key for key in ("consumer", "provider", "interactions") if key not in pact]
    if missing:
        raise PactFileError(f"{path}: not a pact (no {', '.join(missing)})")
    for role in ("consumer", "provider"):
        if not isinstance(pact[role], dict) or not isinstance(pact[role].get("name"), str):
            raise PactFileError(f"{path}: not a pact ({role}.name must be a string)")
    interactions = pact["interactions"]
    if not isinstance(interactions, list) or not interactions:
        raise PactFileError(f"{path}: a pact with no interactions (nothing to verify)")
    for number, interaction in enumerate(interactions):
        if not isinstance(interaction, dict) or not isinstance(interaction.get("request"), dict):
            raise PactFileError(f"{path}: interaction {number} has no request")
        if not isinstance(interaction.get("description"), str):
            raise PactFileError(f"{path}: interaction {number} has no description")
    return pact


def erp_bearer_tokens(pact: dict[str, Any]) -> set[str]:
    """The bearer tokens the pact's ERP requests carry.

    A consumer test records whatever token its mock server was given; the real one is minted per
    session by the token endpoint, so no recorded token could ever be valid on replay. The mocks
    treat these as issued, the usual provider-side answer to authenticated pacts.
    """
    tokens = set()
    for interaction in pact["interactions"]:
        request = interaction["request"]
        if not str(request.get("path", "")).startswith(ERP_PREFIX):
            continue
        for name, value in (request.get("headers") or {}).items():
            if name.lower() != "authorization":
                continue
            for header in value if isinstance(value, list) else [value]:
                scheme, _, token = str(header).partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    tokens.add(token.strip())
    return tokens


def _names(error_interaction: str, description: str) -> bool:
    """The verifier names a failed interaction ``Verifying a pact between ... - <description>``."""
    return error_interaction == description or error_interaction.endswith(f" - {description}")


def _problems(error: dict[str, Any]) -> list[str]:
    mismatch = error.get("mismatch", {})
    if mismatch.get("type") == "mismatches":
        return [str(item.get("mismatch") or item) for item in mismatch.get("mismatches", [])]
    return [str(mismatch.get("message") or mismatch)]


def _outcomes(pact: dict[str, Any], results: dict[str, Any]) -> list[InteractionOutcome]:
    """One outcome per interaction, from the verifier's JSON result (``errors`` name failed ones).

    An error naming no interaction of the file still fails the verification, and so does an overall
    ``result`` of false: a pact the verifier half-read must never look verified.
    """
    errors = [(str(error.get("interaction", "")), _problems(error)) for error in results.get("errors", [])]
    for name, problems in errors:
        if name == "Failed to load pact":
            raise PactFileError(f"the pact verifier could not load it: {'; '.join(problems)}")
    outcomes = []
    matched: set[str] = set()
    for interaction in pact["interactions"]:
        description = interaction["description"]
        named = [(name, found) for name, found in errors if _names(name, description)]
        matched.update(name for name, _ in named)
        problems = [p for _, found in named for p in found]
        outcomes.append(InteractionOutcome(description, not problems, problems))
    outcomes += [InteractionOutcome(name, False, found) for name, found in errors if name not in matched]
    if results.get("result") is False and all(outcome.passed for outcome in outcomes):
        outcomes.append(InteractionOutcome("(verification)", False, ["the verifier reported a failure"]))
    return outcomes


def unknown_states(pact: dict[str, Any]) -> list[InteractionOutcome]:
    """Interactions whose provider states no handler knows, refused before anything is replayed
    (the verifier would retry their set-up with back-off before giving up)."""
    refused = []
    for interaction in pact["interactions"]:
        states = interaction.get("providerStates") or (
            [{"name": interaction["providerState"]}] if interaction.get("providerState") else []
        )
        unknown = [
            str(s.get("name"))
            for s in states
            if isinstance(s, dict) and not provider_states.is_known(str(s.get("name", "")))
        ]
        if unknown:
            refused.append(
                InteractionOutcome(
                    interaction["description"],
                    False,
                    [f"unknown provider state {name!r} (see contracts/provider-states.md)" for name in unknown],
                )
            )
    return refused


def verify_pact(path: Path) -> PactVerification:
    pact = read_pact(path)
    refused = unknown_states(pact)
    if refused:
        return PactVerification(pact["consumer"]["name"], pact["provider"]["name"], refused, "")
    with ServedMocks() as mocks:
        stage = mocks.stage
        for token in erp_bearer_tokens(pact):
            stage.erp.state.tokens[token] = stage.world.now()

        def seed_state(state: str, parameters: dict[str, Any] | None) -> None:
            mocks.call(lambda: provider_states.set_up(stage, state, parameters))

        verifier = (
            Verifier(pact["provider"]["name"], host="127.0.0.1")
            .add_transport(url=mocks.url)
            .add_source(path)
            .state_handler(seed_state, teardown=False)
            .set_error_on_empty_pact(enabled=True)
            .set_coloured_output(enabled=False)
        )
        # Pact's state-change server logs every call to stderr; the verdict is in the results.
        # A failed verification raises RuntimeError; its results say what failed.
        with contextlib.redirect_stderr(io.StringIO()), contextlib.suppress(RuntimeError):
            verifier.verify()
        results = verifier.results
        output = verifier.output(strip_ansi=True)
    return PactVerification(pact["consumer"]["name"], pact["provider"]["name"], _outcomes(pact, results), output)
