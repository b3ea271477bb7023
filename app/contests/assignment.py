"""Give every entry k jurors, fairly: pure functions over plain data, so tests can check the rules.

Rules, in order of strength:
- never the author, never a juror from the author's own group, never a declared conflict (hard);
- loads balanced: the largest and the smallest number of entries per juror differ by at most one
  (whenever the hard rules allow it);
- not from the author's faculty where the pool allows (soft: an entry that gets a juror from its
  author's faculty carries a visible warning).

Method: entries with the fewest eligible jurors are served first, each taking the k least-loaded
eligible jurors (other-faculty jurors first, random among equals). Then, while some juror carries
two or more entries more than another, an assignment is moved along a chain of jurors (an
augmenting path: A gives an entry to B, B gives one to C …) from a most-loaded juror to a
least-loaded one, keeping every hard rule, and adding a same-faculty pair only when no other
chain exists.
"""
import random
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EntryInfo:
    id: int
    author_id: int
    group_id: int | None
    faculty_id: int | None


@dataclass(frozen=True)
class JurorInfo:
    id: int
    group_id: int | None
    faculty_id: int | None


@dataclass
class Plan:
    jurors_of: dict[int, list[int]]                 # entry id -> juror ids
    warnings: list[str] = field(default_factory=list)

    def loads(self, juror_ids) -> dict[int, int]:
        loads = {j: 0 for j in juror_ids}
        for jurors in self.jurors_of.values():
            for juror in jurors:
                loads[juror] += 1
        return loads


def allowed(entry: EntryInfo, juror: JurorInfo, conflicts: set) -> bool:
    """The hard rules: not the author, not the author's group, no declared conflict."""
    if juror.id == entry.author_id or (juror.id, entry.id) in conflicts:
        return False
    return not (juror.group_id is not None and juror.group_id == entry.group_id)


def same_faculty(entry: EntryInfo, juror: JurorInfo) -> bool:
    return entry.faculty_id is not None and juror.faculty_id == entry.faculty_id


def plan_assignment(entries: list[EntryInfo], jurors: list[JurorInfo], k: int, conflicts: set | None = None,
                    rng: random.Random | None = None) -> Plan:
    """Assign k distinct jurors to every entry under the rules above."""
    rng = rng or random.SystemRandom()
    conflicts = conflicts or set()
    by_id = {j.id: j for j in jurors}
    eligible = {e.id: [j for j in jurors if allowed(e, j, conflicts)] for e in entries}
    loads = {j.id: 0 for j in jurors}
    plan = Plan(jurors_of={})
    order = sorted(entries, key=lambda e: (len(eligible[e.id]), rng.random()))
    for entry in order:
        pool = sorted(eligible[entry.id], key=lambda j: (same_faculty(entry, j), loads[j.id], rng.random()))
        chosen = pool[:k]
        plan.jurors_of[entry.id] = [j.id for j in chosen]
        for juror in chosen:
            loads[juror.id] += 1
    _balance(plan, entries, by_id, conflicts, loads)
    for entry in entries:
        chosen = plan.jurors_of[entry.id]
        if len(chosen) < k:
            plan.warnings.append(f"entry {entry.id}: only {len(chosen)} of {k} jurors are allowed to judge it")
        same = sum(1 for j in chosen if same_faculty(entry, by_id[j]))
        if same:
            plan.warnings.append(f"entry {entry.id}: {same} juror(s) from the author's faculty (the pool allows no other)")
    spread = (max(loads.values()) - min(loads.values())) if loads else 0
    if spread > 1:
        plan.warnings.append(f"loads could not be balanced (they differ by {spread})")
    return plan


def _balance(plan: Plan, entries, by_id, conflicts, loads) -> None:
    entry_of = {e.id: e for e in entries}

    def hard_ok(juror_id, entry_id, _giver_id):
        return juror_id not in plan.jurors_of[entry_id] and allowed(entry_of[entry_id], by_id[juror_id], conflicts)

    def faculty_ok(juror_id, entry_id, giver_id):
        # Prefer moves that do not add a juror from the author's faculty.
        entry = entry_of[entry_id]
        return hard_ok(juror_id, entry_id, giver_id) and (
            not same_faculty(entry, by_id[juror_id]) or same_faculty(entry, by_id[giver_id]))

    for _round in range(10 * (len(entries) + 1) * (len(by_id) + 1)):
        high = max(loads.values(), default=0)
        low = min(loads.values(), default=0)
        if high - low <= 1:
            return
        sources = [j for j, load in loads.items() if load == high]
        is_target = lambda j: loads[j] <= high - 2  # noqa: E731
        path = (_augmenting_path(sources, is_target, plan, faculty_ok, set(by_id))
                or _augmenting_path(sources, is_target, plan, hard_ok, set(by_id)))
        if path is None:
            return
        for giver, taker, entry_id in path:
            jurors = plan.jurors_of[entry_id]
            jurors[jurors.index(giver)] = taker
        loads[path[0][0]] -= 1
        loads[path[-1][1]] += 1


def _augmenting_path(sources, is_target, plan: Plan, can_take, all_jurors: set):
    """Breadth-first search for moves giver→taker (by some entry) from a source to a target juror."""
    holding: dict[int, list[int]] = {}
    for entry_id, jurors in plan.jurors_of.items():
        for juror in jurors:
            holding.setdefault(juror, []).append(entry_id)
    came_from = {source: None for source in sources}
    queue = deque(sources)
    while queue:
        giver = queue.popleft()
        for entry_id in holding.get(giver, []):
            for taker in sorted(all_jurors):
                if taker == giver or not can_take(taker, entry_id, giver):
                    continue
                if taker in came_from:
                    continue
                came_from[taker] = (giver, entry_id)
                if is_target(taker):
                    path, node = [], taker
                    while came_from[node] is not None:
                        previous, via = came_from[node]
                        path.append((previous, node, via))
                        node = previous
                    return list(reversed(path))
                queue.append(taker)
    return None
