"""Built-in scenario files and the loader that turns a file (plus overrides) into a Scenario.

A file is validated against ``scenario.schema.json`` before anything starts, and every error names
the file, the field's path and what was expected, because architects edit these by hand.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

if TYPE_CHECKING:
    from scenarios.distributions import Distribution

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "scenario.schema.json"

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d))+$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")


API_FAULT_KINDS = frozenset({"outage", "latency", "errors", "rate_limit", "commit_then_fail"})
"""Faults on a system's HTTP API (target ``erp``)."""
CHANNEL_FAULT_KINDS = frozenset({"duplicate", "reorder", "delay", "drop"})
"""Faults on a system's webhook deliveries to the SUT (target ``erp.webhooks``)."""


class ScenarioError(ValueError):
    """A scenario that cannot be used, with the reason a person can act on."""


@dataclass(frozen=True, slots=True)
class FaultSpec:
    target: str
    kind: str
    start: float
    end: float
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RateProfile:
    """Orders per simulated hour over time: a base rate and an optional surge (ramp, hold, decay)."""

    per_hour: float
    multiplier: float = 1.0
    start: float = 0.0
    ramp: float = 0.0
    hold: float = 0.0
    decay: float = 0.0

    def factor(self, t: float) -> float:
        """The surge's multiple of the base rate at simulated ``t``."""
        rise, top, fall = (
            self.start + self.ramp,
            self.start + self.ramp + self.hold,
            self.start + self.ramp + self.hold + self.decay,
        )
        lift = self.multiplier - 1.0
        if t < self.start or t >= fall:
            return 1.0
        if t < rise:
            return 1.0 + lift * (t - self.start) / self.ramp
        if t < top:
            return self.multiplier
        return self.multiplier - lift * (t - top) / self.decay

    def per_second(self, t: float) -> float:
        return self.per_hour / 3600 * self.factor(t)

    @property
    def peak_per_second(self) -> float:
        return self.per_hour / 3600 * max(1.0, self.multiplier)


@dataclass(frozen=True, slots=True)
class CutoverSpec:
    """The legacy ERP account (``source``) stops taking new sales orders at simulated ``at``; its
    successor (``target``) takes them from then on, with the stock no open order had committed."""

    at: float
    source: str = "erp"
    target: str = "erp-next"


@dataclass(frozen=True, slots=True)
class OrderWorkload:
    count: int | None = None
    """Exactly this many orders; or None, and arrivals follow ``rate``."""
    rate: RateProfile | None = None
    lines: tuple[int, int] = (1, 3)
    quantity: tuple[int, int] = (1, 3)
    hot_share: float = 0.0


@dataclass(frozen=True, slots=True)
class ReturnWorkload:
    """Customers sending back part of a delivered order, through a service agent's return case (W6)."""

    share: float
    """Share of delivered orders that get a return case."""
    delay: Distribution
    """From the order's delivery to the case being opened."""
    lines: tuple[int, int] = (1, 2)
    """Order lines per return (at most the lines of the parcel sent back)."""


@dataclass(frozen=True, slots=True)
class CancellationWorkload:
    """Customers asking to cancel an activated order in the storefront (W1, W3: the integration cancels downstream)."""

    share: float
    """Share of activated orders whose customer asks to cancel."""
    delay: Distribution
    """From the order's activation to the request."""


@dataclass(frozen=True, slots=True)
class ReceiptWorkload:
    """Purchase receipts landing at the warehouses (and booked in the ERP) over the run."""

    per_hour: float
    quantity: tuple[int, int] = (10, 50)
    hot_share: float = 0.0
    start: float = 0.0


@dataclass(frozen=True, slots=True)
class PriceWorkload:
    """Merchandisers changing list prices in the Salesforce pricebook over the run."""

    per_hour: float
    change: tuple[float, float] = (-0.2, 0.1)
    hot_share: float = 0.0


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    seed: int
    duration: float
    speed: float
    workflows: tuple[str, ...]
    drain_quiet: float
    drain_deadline: float
    customers: int
    products: int
    locations: tuple[str, ...]
    stock: tuple[int, int]
    orders: OrderWorkload
    hot_products: int = 0
    hot_stock: tuple[int, int] | None = None
    """Units per hot product and location, when the promotion's stock is scarcer than the rest."""
    receipts: ReceiptWorkload | None = None
    price_changes: PriceWorkload | None = None
    faults: tuple[FaultSpec, ...] = ()
    expect: dict[str, Any] = field(default_factory=dict)
    behaviour: dict[str, Any] = field(default_factory=dict)
    checkers: tuple[str, ...] = ()
    """Extra checker specs, paths already made absolute."""
    cutover: CutoverSpec | None = None
    returns: ReturnWorkload | None = None
    cancellations: CancellationWorkload | None = None
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def seconds(value: float | int | str) -> float:
    """A duration from the file: a number of seconds, or '90s', '30m', '2h', '1h30m'."""
    if isinstance(value, int | float):
        return float(value)
    if _DURATION.match(value) is None:
        raise ScenarioError(f"not a duration: {value!r} (expected e.g. 90s, 30m, 2h, 1h30m)")
    return sum(float(amount) * _UNITS[unit] for amount, unit in _DURATION_PART.findall(value))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def describe_builtins() -> list[tuple[str, str]]:
    """(name, description) of every built-in scenario, for ``rehearse list``."""
    return [(name, load(name).description) for name in builtin_names()]


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def resolve(name_or_path: str, relative_to: Path | None = None) -> Path:
    """A built-in name (``smoke``) or a path to a YAML file."""
    candidate = Path(name_or_path)
    if relative_to is not None and not candidate.is_absolute():
        nearby = relative_to / candidate
        if nearby.is_file():
            return nearby
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        if not candidate.is_file():
            raise ScenarioError(f"no scenario file at {candidate}")
        return candidate
    builtin = HERE / f"{name_or_path}.yaml"
    if builtin.is_file():
        return builtin
    raise ScenarioError(
        f"unknown scenario {name_or_path!r}; the built-in ones are: {', '.join(builtin_names())}"
        " (or give a path to a .yaml file)"
    )


def _read(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    if path in chain:
        raise ScenarioError(f"{path}: 'extends' loops back on itself: {' -> '.join(map(str, (*chain, path)))}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of fields at the top, found {type(data).__name__}")
    if isinstance(data.get("checkers"), list):
        # Paths are relative to the file that names them, whichever file extends it.
        data["checkers"] = [_absolute_checker(s, path.parent) if isinstance(s, str) else s for s in data["checkers"]]
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends: expected a scenario name or path")
    return _merged(_read(resolve(parent, path.parent), (*chain, path)), data)


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else (lists included) is replaced whole; null removes."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """``--set workload.orders.count=500``: the value is read as YAML (numbers, lists, strings);
    ``null`` removes the field, as it does in a file that extends another."""
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(f"--set {assignment!r}: expected KEY=VALUE, e.g. workload.orders.count=500")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"--set {assignment!r}: the value is not valid YAML: {exc}") from exc
    node: Any = data
    parts = key.strip().split(".")
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            raise ScenarioError(f"--set {assignment!r}: {part!r} is not a mapping or a list index here")
    last = parts[-1]
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    elif isinstance(node, dict) and value is None:
        node.pop(last, None)
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ScenarioError(f"--set {assignment!r}: cannot set {last!r} here")


def _path_of(error: jsonschema.ValidationError) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".") or "(top)"


def load(name_or_path: str, overrides: tuple[str, ...] | list[str] = ()) -> Scenario:
    path = resolve(name_or_path)
    data = _read(path)
    for assignment in overrides:
        apply_override(data, assignment)
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n".join(f"  {_path_of(e)}: {e.message}" for e in errors[:10])
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise ScenarioError(f"{path}: the scenario does not validate:\n{lines}{more}")
    return _build(data, path)


def _absolute_checker(spec: str, base: Path) -> str:
    where, _, name = spec.rpartition(":")
    return f"{(base / where).resolve()}:{name}" if where.endswith(".py") else spec


def _rate(orders: dict[str, Any]) -> RateProfile | None:
    if "per_hour" not in orders:
        return None
    surge = orders.get("surge", {})
    return RateProfile(
        per_hour=float(orders["per_hour"]),
        multiplier=float(surge.get("multiplier", 1.0)),
        start=seconds(surge.get("start", 0)),
        ramp=seconds(surge.get("ramp", 0)),
        hold=seconds(surge.get("hold", 0)),
        decay=seconds(surge.get("decay", 0)),
    )


def _returns(raw: dict[str, Any] | None, path: Path) -> ReturnWorkload | None:
    if raw is None:
        return None
    from scenarios.distributions import distribution  # it builds on this module's ``seconds``

    low, high = raw.get("lines", (1, 2))
    if low > high:
        raise ScenarioError(f"{path}: workload.returns.lines: [{low}, {high}] is not a range (low > high)")
    try:
        delay = distribution(raw.get("delay", "1h"))
    except ScenarioError as error:
        raise ScenarioError(f"{path}: workload.returns.delay: {error}") from None
    return ReturnWorkload(share=float(raw["share"]), delay=delay, lines=(low, high))


def _cancellations(raw: dict[str, Any] | None, path: Path) -> CancellationWorkload | None:
    if raw is None:
        return None
    from scenarios.distributions import distribution  # it builds on this module's ``seconds``

    try:
        delay = distribution(raw.get("delay", "10m"))
    except ScenarioError as error:
        raise ScenarioError(f"{path}: workload.cancellations.delay: {error}") from None
    return CancellationWorkload(share=float(raw["share"]), delay=delay)


def _receipts(workload: dict[str, Any], path: Path) -> ReceiptWorkload | None:
    raw = workload.get("receipts")
    if raw is None:
        return None
    low, high = raw.get("quantity", (10, 50))
    if low > high:
        raise ScenarioError(f"{path}: workload.receipts.quantity: [{low}, {high}] is not a range (low > high)")
    return ReceiptWorkload(
        per_hour=float(raw["per_hour"]),
        quantity=(low, high),
        hot_share=float(raw.get("hot_share", 0.0)),
        start=seconds(raw.get("start", 0)),
    )


def _price_changes(workload: dict[str, Any], path: Path) -> PriceWorkload | None:
    raw = workload.get("price_changes")
    if raw is None:
        return None
    low, high = raw.get("change", (-0.2, 0.1))
    if low > high:
        raise ScenarioError(f"{path}: workload.price_changes.change: [{low}, {high}] is not a range (low > high)")
    return PriceWorkload(per_hour=float(raw["per_hour"]), change=(low, high), hot_share=float(raw.get("hot_share", 0)))


def _build(data: dict[str, Any], path: Path) -> Scenario:
    duration = seconds(data["duration"])
    drain = data.get("drain", {})
    population = data["population"]
    orders = data["workload"]["orders"]
    faults = []
    for index, raw in enumerate(data.get("faults", [])):
        start = seconds(raw.get("start", 0))
        end = seconds(raw.get("end", data["duration"]))
        if end <= start:
            raise ScenarioError(f"{path}: faults[{index}]: end ({end:g}s) must come after start ({start:g}s)")
        on_channel = raw["target"].endswith(".webhooks")
        allowed = CHANNEL_FAULT_KINDS if on_channel else API_FAULT_KINDS
        if raw["kind"] not in allowed:
            raise ScenarioError(
                f"{path}: faults[{index}]: {raw['kind']!r} does not apply to {raw['target']}; there the kinds are "
                f"{', '.join(sorted(allowed))} (API faults target 'system', delivery faults 'system.webhooks')"
            )
        faults.append(FaultSpec(raw["target"], raw["kind"], start, end, dict(raw.get("params", {}))))
    for name in ("lines", "quantity"):
        low, high = orders.get(name, (1, 3))
        if low > high:
            raise ScenarioError(f"{path}: workload.orders.{name}: [{low}, {high}] is not a range (low > high)")
    stock = tuple(population.get("stock", (50, 500)))
    if stock[0] > stock[1]:
        raise ScenarioError(f"{path}: population.stock: {list(stock)} is not a range (low > high)")
    if population.get("hot_products", 0) > population["products"]:
        raise ScenarioError(f"{path}: population.hot_products is more than population.products")
    if orders.get("hot_share", 0) > 0 and not population.get("hot_products"):
        raise ScenarioError(f"{path}: workload.orders.hot_share needs population.hot_products > 0")
    hot_stock = population.get("hot_stock")
    if hot_stock is not None and hot_stock[0] > hot_stock[1]:
        raise ScenarioError(f"{path}: population.hot_stock: {list(hot_stock)} is not a range (low > high)")
    receipts, price_changes = _receipts(data["workload"], path), _price_changes(data["workload"], path)
    lines = tuple(orders.get("lines", (1, 3)))
    quantity = tuple(orders.get("quantity", (1, 3)))
    if lines[1] > population["products"]:
        raise ScenarioError(
            f"{path}: workload.orders.lines: up to {lines[1]} distinct products per order, but the catalogue"
            f" has only {population['products']}"
        )
    cutover = None
    if "cutover" in data:
        raw_cutover = data["cutover"]
        cutover = CutoverSpec(
            seconds(raw_cutover["at"]), raw_cutover.get("from", "erp"), raw_cutover.get("to", "erp-next")
        )
        if not 0 < cutover.at < duration:
            raise ScenarioError(
                f"{path}: cutover.at: {cutover.at:g}s must fall inside the trading day (0 to {duration:g}s), "
                "so that orders are in flight on both sides of it"
            )
    for index, fault in enumerate(faults):
        if fault.target.split(".")[0] == "erp-next" and cutover is None:
            raise ScenarioError(
                f"{path}: faults[{index}].target: {fault.target!r} is the successor ERP of a cutover; this"
                " scenario has no 'cutover', so there is no erp-next to disturb"
            )
    return Scenario(
        returns=_returns(data["workload"].get("returns"), path),
        cancellations=_cancellations(data["workload"].get("cancellations"), path),
        name=data["name"],
        description=data["description"],
        seed=data["seed"],
        duration=duration,
        speed=float(data.get("speed", 60)),
        workflows=tuple(data["workflows"]),
        drain_quiet=seconds(drain.get("quiet", "2s")),
        drain_deadline=seconds(drain.get("deadline", "60s")),
        customers=population["customers"],
        products=population["products"],
        locations=tuple(population.get("locations", ("WH-EAST",))),
        stock=(stock[0], stock[1]),
        orders=OrderWorkload(
            count=orders.get("count"),
            rate=_rate(orders),
            lines=(lines[0], lines[1]),
            quantity=(quantity[0], quantity[1]),
            hot_share=float(orders.get("hot_share", 0.0)),
        ),
        hot_products=int(population.get("hot_products", 0)),
        hot_stock=(hot_stock[0], hot_stock[1]) if hot_stock is not None else None,
        receipts=receipts,
        price_changes=price_changes,
        faults=tuple(faults),
        expect=dict(data.get("expect", {})),
        behaviour=dict(data.get("behaviour", {})),
        checkers=tuple(data.get("checkers", [])),
        cutover=cutover,
        source=str(path),
        raw=data,
    )
