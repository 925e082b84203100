"""Loading scenarios: built-ins, extends, --set overrides, and errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

import scenarios
from scenarios import ScenarioError, load, seconds


def test_builtins_load_and_describe_themselves() -> None:
    described = dict(scenarios.describe_builtins())
    assert {"smoke", "smoke-duplicates"} <= described.keys()
    assert all(text.strip() for text in described.values())


def test_smoke_is_fifty_orders_over_thirty_simulated_minutes() -> None:
    smoke = load("smoke")
    assert smoke.orders.count == 50
    assert smoke.duration == 1800
    assert smoke.workflows == ("W1",)


def test_extends_inherits_and_overrides() -> None:
    base, variant = load("smoke"), load("smoke-duplicates")
    assert variant.orders == base.orders and variant.seed == base.seed
    assert [f.kind for f in variant.faults] == ["duplicate"]
    assert variant.faults[0].params["probability"] == 0.2


def test_set_overrides_any_field() -> None:
    changed = load("smoke-duplicates", ["workload.orders.count=7", "faults.0.params.probability=0.5", "speed=120"])
    assert changed.orders.count == 7
    assert changed.faults[0].params["probability"] == 0.5
    assert changed.speed == 120


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (90, 90.0),
        ("90s", 90.0),
        ("30m", 1800.0),
        ("2h", 7200.0),
        ("250ms", 0.25),
        ("1h30m", 5400.0),
        ("2h10m5s", 7805.0),
    ],
)
def test_durations(text: str | int, expected: float) -> None:
    assert seconds(text) == expected


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'.*smoke, smoke-duplicates"):
        load("nope")


def test_an_invalid_file_names_the_file_the_field_and_the_expectation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: smoke\nname: bad\nworkload:\n  orders:\n    count: many\n")
    with pytest.raises(ScenarioError) as caught:
        load(str(bad))
    message = str(caught.value)
    assert str(bad) in message
    assert "workload.orders.count" in message
    assert "'many' is not of type 'integer'" in message


def test_unknown_fields_are_refused_not_ignored(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("extends: smoke\nname: typo\nworklaod: {}\n")
    with pytest.raises(ScenarioError, match=r"worklaod.*(unexpected|not allowed)"):
        load(str(bad))


def test_extends_loops_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="loops back"):
        load(str(tmp_path / "a.yaml"))


def test_set_null_removes_a_field_as_in_a_file() -> None:
    assert load("baseline").cancellations is not None
    assert load("baseline", ["workload.cancellations=null"]).cancellations is None
    assert load("erp-outage", ["expect.convergence_after_heal=null"]).expect.get("convergence_after_heal") is None


def test_bad_set_syntax_is_explained() -> None:
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        load("smoke", ["speed"])


def test_fault_windows_must_be_ordered(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"faults\[0\].*end"):
        load("smoke-duplicates", ["faults.0.start=20m", "faults.0.end=10m"])


def test_yaml_syntax_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: not valid YAML"):
        load(str(bad))


def test_a_fault_kind_on_the_wrong_kind_of_target_is_explained() -> None:
    with pytest.raises(ScenarioError, match=r"'outage' does not apply to salesforce\.webhooks"):
        load("smoke", ["faults=[{target: salesforce.webhooks, kind: outage}]"])


def test_distributions_parse_and_sample_within_bounds() -> None:
    import random

    from scenarios.distributions import distribution

    rng = random.Random(1)
    assert distribution("90s").sample(rng) == 90
    assert all(60 <= distribution({"uniform": ["1m", "2m"]}).sample(rng) <= 120 for _ in range(100))
    assert all(distribution({"normal": ["10s", "1m"]}).sample(rng) >= 0 for _ in range(100))
    with pytest.raises(ScenarioError):
        distribution({"uniform": ["2m", "1m"]})


def test_null_in_an_override_removes_the_inherited_field(tmp_path: Path) -> None:
    promo = tmp_path / "promo.yaml"
    promo.write_text("extends: smoke\nname: promo\nworkload:\n  orders:\n    count: null\n    per_hour: 90\n")
    loaded = load(str(promo))
    assert loaded.orders.count is None
    assert loaded.orders.rate is not None and loaded.orders.rate.per_hour == 90
    assert loaded.orders.lines == (1, 3), "siblings of the removed field are still inherited"


def test_the_readme_scenario_example_is_valid(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = re.search(r"```yaml\n(name: weekend-promo.*?)```", readme, re.S)
    assert example is not None
    (tmp_path / "weekend-promo.yaml").write_text(example.group(1))
    loaded = load(str(tmp_path / "weekend-promo.yaml"))
    assert {f.kind for f in loaded.faults} >= {"outage", "commit_then_fail", "rate_limit", "duplicate", "reorder"}


def test_behaviour_knobs_reach_the_mocks_and_unknown_ones_are_refused() -> None:
    from harness import knobs

    split = load("split-shipments")
    assert knobs.wms_knobs(split.behaviour).split_probability == 0.4
    assert knobs.carrier_knobs(split.behaviour).transit_days["Priority"].mode == 0.015
    assert knobs.erp_options({"erp": {"concurrency_limit": 3}}) == {"concurrency_limit": 3}
    with pytest.raises(knobs.KnobError, match=r"behaviour\.wms\.split_probabilty: not a wms knob"):
        knobs.check({"wms": {"split_probabilty": 0.4}})
    with pytest.raises(knobs.KnobError, match=r"behaviour\.erp\.speed"):
        knobs.check({"erp": {"speed": 2}})
