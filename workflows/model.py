"""The vocabulary in which pathways are written: plain, frozen data.

A pathway is a versioned set of states and transitions.  Each transition names
the policy action that decides who may fire it (see ``policies``), the guards
that must hold (each a stable name with a human message) and the effects that
follow it.  Nothing here knows about Flask or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Guard:
    name: str
    message: str


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    permission: str
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    requires_reason: bool = False
    requires_outcome: bool = False
    label: str = ""


@dataclass(frozen=True)
class Pathway:
    name: str
    version: int
    title: str
    initial: str
    states: tuple[str, ...]
    final_states: tuple[str, ...]
    transitions: tuple[Transition, ...]
    guards: dict[str, Guard] = field(default_factory=dict)
    # Guards that must hold for a row to enter the pathway at all (checked when it is
    # created, before anyone sees it), as well as wherever a transition names them.
    entry_guards: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        known = set(self.states)
        if self.initial not in known:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not a state")
        missing_entry = set(self.entry_guards) - set(self.guards)
        if missing_entry:
            raise ValueError(f"{self.name}: undefined entry guards {sorted(missing_entry)}")
        for t in self.transitions:
            unknown = {*t.sources, t.dest} - known
            if unknown:
                raise ValueError(f"{self.name}.{t.trigger}: unknown states {sorted(unknown)}")
            missing = set(t.guards) - set(self.guards)
            if missing:
                raise ValueError(f"{self.name}.{t.trigger}: undefined guards {sorted(missing)}")

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    @property
    def triggers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for t in self.transitions:
            seen.setdefault(t.trigger, None)
        return tuple(seen)

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def transitions_for(self, trigger: str) -> list[Transition]:
        return [t for t in self.transitions if t.trigger == trigger]
