"""Fixtures for the report tests: the shared results built in :mod:`audit_fixture`."""

from __future__ import annotations

import pytest
from audit_fixture import build_audit_result, build_clean_result, build_empty_result

from migrationaudit.models.result import AuditResult


@pytest.fixture
def audit_result() -> AuditResult:
    """The shared hostile, many-rule result (the gate fails)."""
    return build_audit_result()


@pytest.fixture
def clean_result() -> AuditResult:
    """A passing audit with an empty ``run`` (every metadata key missing)."""
    return build_clean_result()


@pytest.fixture
def empty_result() -> AuditResult:
    """Nothing audited at all."""
    return build_empty_result()
