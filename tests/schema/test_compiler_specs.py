"""The compiler's specs, read off the strawberry classes, checked by hand (no database).

``compiler.SPECS`` is built at import, before a mutant is switched on, so these call ``specs``
again: a spec pointing at no table, or an optional timestamp left unconverted, shows here.
"""

from __future__ import annotations

from imm_graph.schema import compiler
from imm_graph.schema import types as t


def test_specs_point_at_their_tables_and_convert_optional_timestamps() -> None:
    built = compiler.specs(t.SQL_TYPES)
    assert set(built) == set(t.SQL_TYPES)
    for name, (table, _) in t.SQL_TYPES.items():
        assert built[name].table is table, name
        assert built[name].pk == next(iter(table.primary_key)).name
    consent = built["Consent"].scalars
    column, convert = consent["withdrawnAt"]
    assert column == "withdrawn_at"
    assert convert is compiler._isoformat  # printed as the resolvers print timestamps
