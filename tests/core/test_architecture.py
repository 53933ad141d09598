"""The layout's rules hold for every module: no import cycles, and (with the contracts in
``.importlinter``, run by ``make test``) the three storeys."""

from __future__ import annotations

import grimp

PACKAGES = ("referral", "policies", "workflows")


def test_no_module_imports_itself_through_another():
    graph = grimp.build_graph(*PACKAGES)
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append(" -> ".join((module, *back)))
    assert cycles == []


def test_the_top_of_the_application_package_holds_only_the_wiring():
    graph = grimp.build_graph("referral")
    top = {m.split(".")[1] for m in graph.modules if m.count(".") >= 1}
    modules = {name for name in top if not graph.find_children(f"referral.{name}")}
    assert modules == {"app", "models", "home"}
