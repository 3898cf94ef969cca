"""Fuzz every console API operation from its OpenAPI schema: no input may cause a 5xx."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from dataerrors.console.app import create_app  # noqa: E402
from tests.console_support import make_synthetic_run  # noqa: E402

EXAMPLES_PER_OPERATION = 30


@pytest.mark.slow
def test_no_server_error(tmp_path: Path) -> None:
    run = make_synthetic_run(tmp_path / "runs", n_train=40, n_test=10)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(run.folder, user="fuzzer"))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case) -> None:  # type: ignore[no-untyped-def]
            _aim_at_run(case, run)
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} -> "
                                f"{response.status_code} {response.text[:200]}")

        call()
    assert failures == []


_CASE_COUNTER = itertools.count()


def _aim_at_run(case, run) -> None:  # type: ignore[no-untyped-def]
    """Point three cases in four at the real run, split and sample, so fuzzing reaches past the
    404 of a lookup; the fourth keeps the generated names."""
    parameters = case.path_parameters or {}
    if next(_CASE_COUNTER) % 4 == 0:
        return
    if "project" in parameters:
        parameters["project"] = run.project
        parameters["run"] = run.name
    if "split" in parameters:
        parameters["split"] = "training"
    if "sample_id" in parameters:
        parameters["sample_id"] = "3"
    if "row" in parameters:
        parameters["row"] = 3
