"""The shape of the code: no import cycles, and imports only go down the floors (issue #28).

Every module of portal/ is parsed (not imported) and every import counts, at module level and inside functions
alike: an import moved into a function to dodge a cycle is still the same cycle. `from portal.x import y`
points at the module `portal.x.y` when there is one, else at `portal.x`.
"""

import ast
import pathlib

PORTAL = pathlib.Path(__file__).resolve().parent.parent / "portal"

# The floors, lowest first. A module may import its own floor and the floors below it, never one above.
GROUND, INFRASTRUCTURE, DOMAIN, FEATURES, READING, ENTRY = range(6)
FLOOR_NAMES = {GROUND: "ground", INFRASTRUCTURE: "infrastructure", DOMAIN: "domain base", FEATURES: "features",
               READING: "reading across", ENTRY: "entry"}
FLOORS = {
    # ground: what everything stands on
    "portal.core": GROUND,
    "portal.config": GROUND,
    "portal.extensions": GROUND,
    # infrastructure: the mail outbox, the task queue, exports, locks, health
    "portal.ops": INFRASTRUCTURE,
    # domain base: people, companies, groups, products, rules, the program, points, payments, the audit log
    "portal.auth": DOMAIN,
    "portal.partners": DOMAIN,
    "portal.groups": DOMAIN,
    "portal.products": DOMAIN,
    "portal.rules": DOMAIN,
    "portal.program": DOMAIN,
    "portal.ledger": DOMAIN,
    "portal.payments": DOMAIN,
    "portal.audit": DOMAIN,
    "portal.notifications": DOMAIN,
    "portal.referrals": DOMAIN,  # auth's registration records referrals; it reacts to sales through domain events
    # features: they react to each other through domain events (portal.core.events)
    "portal.claims": FEATURES,
    "portal.leads": FEATURES,
    "portal.training": FEATURES,
    "portal.shop": FEATURES,
    "portal.contests": FEATURES,
    "portal.plans": FEATURES,
    "portal.kpi": FEATURES,
    "portal.fraud": FEATURES,  # reads claims and contests; claims announce through domain events, never import it
    "portal.news": FEATURES,
    "portal.recruitment": FEATURES,  # follows registrations, sales and courses through domain events
    # reading across: dashboards, the partner API, the consistency checks
    "portal.home": READING,
    "portal.api": READING,
    "portal.checks": READING,
    # entry: the app factory, the schema list, the demo, the CLI, the worker and its jobs
    "portal": ENTRY,
    "portal.models": ENTRY,
    "portal.demo": ENTRY,
    "portal.cli": ENTRY,
    "portal.worker": ENTRY,
    "portal.jobs": ENTRY,
}

# Imports the floors do not allow, each with the reason it must stay (none today: a new one needs a good reason).
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}

# Import cycles, each with the reason it must stay (none today).
ALLOWED_CYCLES: dict[frozenset[str], str] = {}


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def portal_modules() -> dict[str, pathlib.Path]:
    return {module_name(path): path for path in PORTAL.rglob("*.py")}


def imported_modules(name: str, path: pathlib.Path, modules: dict) -> set[str]:
    """Every portal module `name` imports, anywhere in its text."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            targets = []
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.append(submodule if submodule in modules else source)
        else:
            continue
        for target in targets:
            # `import portal.a.b` names portal.a.b; a name that is no module of ours is a third-party import.
            while target and target not in modules:
                target = target.rpartition(".")[0] if target.startswith("portal.") else ""
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = portal_modules()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def floor_of(module: str) -> int:
    name = module
    while name not in FLOORS:
        if "." not in name:
            raise AssertionError(f"{module} has no floor: add its package to FLOORS in tests/test_architecture.py")
        name = name.rpartition(".")[0]
    return FLOORS[name]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as one closed path."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(start):
        # Iterative, so a deep graph cannot hit the recursion limit.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [closed_path(graph, component) for component in components]


def closed_path(graph, component: list[str]) -> list[str]:
    """One cycle through the component's first module, to print (a shortest way back, by breadth-first search)."""
    members, start = set(component), component[0]
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return [*reversed(path), start] + ([f"(and {len(members)} modules in all: {component})"]
                                                   if len(members) > len(path) else [])
            if target not in previous:
                previous[target] = node
                queue.append(target)
    return component


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((source, target) for source, targets in graph.items() for target in targets
                  if floor_of(target) > floor_of(source))


def test_every_module_has_a_floor():
    for module in portal_modules():
        floor_of(module)


def test_no_import_cycles():
    found = [cycle for cycle in cycles(import_graph()) if frozenset(cycle) not in ALLOWED_CYCLES]
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_imports_only_go_down_the_floors():
    upward = [(source, target) for source, target in upward_imports(import_graph())
              if (source, target) not in ALLOWED_UPWARD]
    assert not upward, "imports from a lower floor to a higher one:\n" + "\n".join(
        f"{source} ({FLOOR_NAMES[floor_of(source)]}) -> {target} ({FLOOR_NAMES[floor_of(target)]})"
        for source, target in upward)


def test_the_allow_lists_hold_only_what_still_exists():
    graph = import_graph()
    upward = set(upward_imports(graph))
    stale = [pair for pair in ALLOWED_UPWARD if pair not in upward]
    assert not stale, f"remove these from ALLOWED_UPWARD, they are gone: {stale}"
    found = {frozenset(cycle) for cycle in cycles(graph)}
    stale = [sorted(cycle) for cycle in ALLOWED_CYCLES if cycle not in found]
    assert not stale, f"remove these from ALLOWED_CYCLES, they are gone: {stale}"


def test_the_finder_sees_imports_inside_functions_and_relative_ones(tmp_path):
    """The checker itself: a function-local import and a relative import each close a cycle it must see."""
    package = tmp_path / "portal" / "demo_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from portal.demo_pkg import b\n")
    (package / "b.py").write_text("from . import a\n")
    modules = {"portal.demo_pkg": package / "__init__.py", "portal.demo_pkg.a": package / "a.py",
               "portal.demo_pkg.b": package / "b.py"}
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    assert graph["portal.demo_pkg.a"] == {"portal.demo_pkg.b"}
    assert graph["portal.demo_pkg.b"] == {"portal.demo_pkg.a"}
    assert cycles(graph) == [["portal.demo_pkg.a", "portal.demo_pkg.b", "portal.demo_pkg.a"]]
    assert upward_imports({"portal.core.x": {"portal.ops.y"}, "portal.ops.y": set()}) == [
        ("portal.core.x", "portal.ops.y")]
