"""Partner pathways: what a recipient organisation does with an active referral.

Chosen by the recipient organisation's kind when the referral becomes active.
Every transition needs ``partner_pathway:progress`` (the recipient
organisation's users).  The states are the partner's own bookkeeping; the
sender and the LIVC see the state name, never the partner's notes.
"""

from __future__ import annotations

from workflows.model import Pathway, Transition

P = "partner_pathway:progress"


def _linear(name: str, title: str, states: tuple[str, ...], triggers: tuple[str, ...],
            extra: tuple[Transition, ...] = (), extra_states: tuple[str, ...] = (),
            final: tuple[str, ...] = ()) -> Pathway:
    steps = tuple(
        Transition(trigger, (src,), dst, P, label=trigger.replace("_", " ").capitalize())
        for trigger, src, dst in zip(triggers, states[:-1], states[1:], strict=True)
    )
    return Pathway(name=name, version=1, title=title, initial=states[0],
                   states=states + extra_states, final_states=final or (states[-1],),
                   transitions=steps + extra)


CAW_PSYCHO_SOCIAL_V1 = _linear(
    "caw_psycho_social", "CAW psycho-social guidance",
    ("intake", "plan", "guidance", "closure"),
    ("make_plan", "start_guidance", "close"),
)

VDAB_EMPLOYMENT_V1 = _linear(
    "vdab_employment", "VDAB employment trajectory",
    ("intake", "job_target", "competences", "job_search", "placed", "follow_up", "finished"),
    ("set_job_target", "build_competences", "start_job_search", "place", "follow_up",
     "finish"),
    extra=(Transition("drop_out", ("intake", "job_target", "competences", "job_search",
                                   "placed", "follow_up"), "dropped_out", P,
                      requires_reason=True, label="Dropped out"),),
    extra_states=("dropped_out",),
    final=("finished", "dropped_out"),
)

DETENTION_V1 = _linear(
    "detention", "Detention (context)",
    ("in_detention", "release_preparation", "released"),
    ("prepare_release", "release"),
)

GENERIC_SERVICE_V1 = _linear(
    "generic_service", "Generic service",
    ("started", "in_progress", "finished"),
    ("begin_work", "finish"),
)

JUSTICE_FOLLOW_UP_V1 = Pathway(
    name="justice_follow_up",
    version=1,
    title="Justice centre judicial follow-up",
    initial="conditions_registered",
    states=("conditions_registered", "supervision", "report_due", "ended",
            "violation_reported"),
    final_states=("ended", "violation_reported"),
    transitions=(
        Transition("start_supervision", ("conditions_registered",), "supervision", P,
                   label="Start supervision"),
        Transition("report_due", ("supervision",), "report_due", P, label="Report due"),
        Transition("report_sent", ("report_due",), "supervision", P, label="Report sent"),
        Transition("end", ("supervision", "report_due"), "ended", P, label="End"),
        Transition("report_violation", ("supervision", "report_due"), "violation_reported", P,
                   requires_reason=True, label="Report violation"),
    ),
)

# Organisation kind -> partner pathway started when a referral to it becomes active.
BY_ORGANISATION_KIND = {
    "caw": CAW_PSYCHO_SOCIAL_V1,
    "justice_centre": JUSTICE_FOLLOW_UP_V1,
    "vdab": VDAB_EMPLOYMENT_V1,
    "prison": DETENTION_V1,
}


def for_organisation_kind(kind: str) -> Pathway:
    return BY_ORGANISATION_KIND.get(kind, GENERIC_SERVICE_V1)
