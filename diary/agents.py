"""Local anesthetics, their concentrations and the relief window each is expected to give.

Flask-free data. The windows are the defaults of docs/verdict-rules.md ("How long each
agent should work"); a clinic may override them in its settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from diary.vocabulary import Agent

LIDOCAINE = Agent.LIDOCAINE
BUPIVACAINE = Agent.BUPIVACAINE
ROPIVACAINE = Agent.ROPIVACAINE
OTHER = Agent.OTHER

AGENT_LABELS: dict[str, str] = {
    LIDOCAINE: "Lidocaine",
    BUPIVACAINE: "Bupivacaine",
    ROPIVACAINE: "Ropivacaine",
    OTHER: "Other",
}

# Concentrations offered on the block form, in percent.
CONCENTRATIONS: dict[str, tuple[str, ...]] = {
    LIDOCAINE: ("1", "2"),
    BUPIVACAINE: ("0.25", "0.5", "0.75"),
    ROPIVACAINE: ("0.2", "0.5"),
    OTHER: (),
}


@dataclass(frozen=True)
class AgentWindow:
    """How long relief from an agent is expected to last, in hours since the block.

    ``minimum_h``: the shortest response that counts as sustained.
    ``maximum_h``: the longest response the agent explains; longer is "prolonged".
    """

    minimum_h: float
    maximum_h: float


DEFAULT_AGENT_WINDOWS: dict[str, AgentWindow] = {
    LIDOCAINE: AgentWindow(minimum_h=0.5, maximum_h=3.0),
    BUPIVACAINE: AgentWindow(minimum_h=1.0, maximum_h=8.0),
    ROPIVACAINE: AgentWindow(minimum_h=1.0, maximum_h=6.0),
    OTHER: AgentWindow(minimum_h=0.5, maximum_h=8.0),
}

# Long-acting agents get a longer default diary schedule (to 12 h, docs/verdict-rules.md).
LONG_ACTING = frozenset({BUPIVACAINE, ROPIVACAINE})


def agent_choices() -> dict[str, str]:
    """Form choices, value -> label: one per agent and concentration, then "other"."""
    choices = {}
    for agent, concentrations in CONCENTRATIONS.items():
        for concentration in concentrations:
            choices[f"{agent}:{concentration}"] = f"{AGENT_LABELS[agent]} {concentration}%"
    choices[f"{OTHER}:"] = "Other (describe)"
    return choices


def describe_agent(agent: str, concentration: str | None, other_name: str | None = None) -> str:
    """Human label such as "lidocaine 2%" or the free text of an "other" agent."""
    if agent == OTHER:
        return (other_name or "other agent").strip()
    label = AGENT_LABELS.get(agent, agent).lower()
    return f"{label} {concentration}%" if concentration else label


def window_for(agent: str, windows: dict[str, AgentWindow] | None = None) -> AgentWindow:
    """The expected window for ``agent`` from ``windows`` (a clinic's table), else the default."""
    table = windows or DEFAULT_AGENT_WINDOWS
    return table.get(agent) or DEFAULT_AGENT_WINDOWS.get(agent) or DEFAULT_AGENT_WINDOWS[OTHER]


def windows_from_settings(stored: dict[str, dict] | None) -> dict[str, AgentWindow]:
    """The clinic's agent table: the defaults with any stored overrides applied."""
    windows = dict(DEFAULT_AGENT_WINDOWS)
    for agent, value in (stored or {}).items():
        windows[agent] = AgentWindow(float(value["minimum_h"]), float(value["maximum_h"]))
    return windows
