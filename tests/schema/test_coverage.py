"""The compiler coverage report: every core field is compiled or kept on its resolver for a
stated reason, and every compiled field of a table-backed type has a parity case."""

from __future__ import annotations

from imm_graph.config import Settings
from imm_graph.schema.build import build_schema
from imm_graph.schema.compiler import SPECS
from imm_graph.schema.coverage import REASONS, Coverage, coverage
from tests.schema.test_compiler_parity import CASES


def _core() -> Coverage:
    return coverage(build_schema(Settings(environment="test")))


def test_every_core_field_is_compiled_or_has_a_reason() -> None:
    report = _core()
    unexplained = [key for key, why in report.resolvers
                   if not any(reason in why for reason in REASONS.values())]
    assert unexplained == []


def test_personal_fields_are_counted_apart_and_never_compiled() -> None:
    report = _core()
    assert "Participant.nhsNumber" in report.audited
    assert not set(report.audited) & set(report.compiled)


def test_every_compiled_field_of_a_table_type_has_a_parity_case() -> None:
    report = _core()
    table_fields = {
        tuple(key.split(".")) for key in report.compiled
        if key.split(".")[0] in SPECS and not key.endswith(".__typename")
    }
    assert table_fields <= set(CASES)
