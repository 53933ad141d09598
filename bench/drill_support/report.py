"""How a drill's result is reported: the summary printed per drill (:func:`summary`; a
few lines of figures and every failed check) and its conversion to JSON for
``bench/drills.json`` (:func:`jsonable`).
"""

from __future__ import annotations

from typing import Any


def summary(name: str, r: dict[str, Any]) -> str:
    lines = [f"== {name}: {'PASS' if r['ok'] else 'FAIL'} ({r['seconds']} s, load average "
             f"{r.get('loadavg_1_5')})"]
    a = r.get("answers")
    if a:
        lines.append(f"   requests {a['requests']}: 2xx {a['2xx']}, 409 {a['409']}, "
                     f"503 {a['503']}, other 5xx {a['5xx_other']}, resets {a['reset']}, "
                     f"other {a['other']}  ({a.get('req_per_s')} req/s over "
                     f"{a.get('seconds')} s)")
    d = r.get("database") or {}
    if d:
        lines.append(f"   history rows added {d.get('new_transition_rows')} (transition "
                     f"events {d.get('transition_events')}), notes added {d.get('new_notes')},"
                     f" acknowledged writes {d.get('acknowledged_writes', '-')}, committed "
                     f"without an answer {d.get('unacknowledged_but_committed', '-')}; audit "
                     f"{d.get('audit_events')} events, head {d.get('audit_head')}")
    v = r.get("verify")
    if v:
        lines.append(f"   audit verify: {v.get('output') or v}")
    if name == "conflicts" and "successful_transitions" in r:
        lines.append(f"   {r['cases']} cases, {r['clients']} processes, {r['workers']} "
                     f"workers: {r['successful_transitions']} successful transitions = "
                     f"{r['history_rows_added']} history rows = "
                     f"{r['transition_events_added']} audit events; {r['wall_s']} s")
    if name == "crash" and "kills" in r:
        lines.append(f"   kill -9 x{r['kills']} at {r['killed_at_s']} s; requests without "
                     f"an answer {r['resets_seen_by_clients']}")
    for c in r.get("cycles", []):
        lines.append(f"   stop -m {c['mode']}: down {c['down_s']} s, {c['requests_while_down']}"
                     f" requests while down -> {c['answers_while_down']} (max "
                     f"{c['max_latency_while_down_ms']} ms), readyz {c['readyz_while_down']};"
                     f" start {c['start_s']} s; first 2xx {c['recovery_s_first_2xx_after_up']}"
                     f" s after up, readyz {c['readyz_recovery_s']} s after up")
    if name == "backup_restore" and "dump_s" in r:
        dec = r["decrypted"]
        lines.append(f"   pg_dump under load {r['dump_s']} s ({r['dump_mb']} MB), pg_restore "
                     f"{r['restore_s']} s; copy {r['counts'].get('copy')}; decrypted "
                     f"{dec['opened_total']} values {dec['opened']}, failed {dec['failed']}")
    if name == "instances_jobs" and "runs" in r:
        lines.append(f"   {r['instances']} instances, {r['rounds']} rounds of 2 runners: "
                     f"{r['referrals_past_deadline']} past deadline -> {r['expired_by_job']} "
                     f"expired by the jobs, {r['accepted_first_by_partner']} accepted first "
                     f"(accept answers {r['accepts']['by_status']});"
                     f" {r['review_due_cases']} reviews due -> {r['review_notifications']} "
                     f"reminders; {r['purged']} purged ({r['purge_events']} events)")
        lines.append(f"   job runs audited: {r['job_runs_audited']}; 'skipped' lines "
                     f"{r['job_skips_seen']}")
    if name == "key_rotation" and "rotate_s" in r:
        dec = r["decrypted"]
        lines.append(f"   {r['rotate_output']} in {r['rotate_s']} s (process) with "
                     f"{r['requests_during_rotation']} requests during it; "
                     f"{r['rotation_batches']} batches in {r['rewrap_window_s']} s with "
                     f"{r['requests_between_first_and_last_batch']} requests between the "
                     f"first and the last; with "
                     f"{r['new_key']} alone: {dec['opened_total']} values opened, failed "
                     f"{dec['failed']}; keys by master {dec['data_keys_by_master']}")
    for f in r.get("failures", []):
        lines.append(f"   FAILED {f}")
    return "\n".join(lines)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    return str(value)
