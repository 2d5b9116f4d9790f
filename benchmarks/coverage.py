"""How much of the readable schema the SQL compiler answers (BENCHMARKS.md reports this).

    .venv/bin/python -m benchmarks.coverage          # the installed plug-ins included

Prints a Markdown summary: the share of readable fields compiled (audited personal reads
aside, which stay on their resolvers by design) and each field still on the resolvers, why.
"""

from __future__ import annotations

from collections import defaultdict

from imm_graph.config import Settings
from imm_graph.pluginhost.manager import PluginManager
from imm_graph.schema.build import schema_for_plugins
from imm_graph.schema.coverage import coverage


def main() -> None:
    settings = Settings()
    schema = schema_for_plugins(settings, PluginManager.load())
    report = coverage(schema)
    total = len(report.compiled) + len(report.resolvers)
    print(f"Compiled: {len(report.compiled)} of {total} readable fields "
          f"({report.share:.0%}); audited personal reads on resolvers by design: "
          f"{len(report.audited)}.\n")
    by_reason: dict[str, list[str]] = defaultdict(list)
    for key, why in report.resolvers:
        by_reason[why].append(key)
    print("| still on the resolvers | why |\n|---|---|")
    for why, keys in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        types = sorted({key.split(".")[0] for key in keys})
        shown = (", ".join(f"`{key}`" for key in keys) if len(keys) <= 3
                 else f"{len(keys)} fields of " + ", ".join(f"`{t}`" for t in types))
        print(f"| {shown} | {why} |")


if __name__ == "__main__":
    main()
