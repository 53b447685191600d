"""Several processes working the same tickets at once lose nothing and never see a lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import sqlalchemy as sa

from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Interaction, Ticket
from tests.conftest import Desk

WORKER = textwrap.dedent(
    """
    import random, sys
    from helpdesk_tui.services import rbac, workflow
    from helpdesk_tui.store.engine import Store

    url, worker, rounds, tickets = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    ids = [int(t) for t in tickets.split(",")]
    store = Store(url)
    rng = random.Random(worker)
    with store.read() as s:
        actor = rbac.resolve_actor(s, rbac.os_login())
    for n in range(rounds):
        tid = rng.choice(ids)
        text = f"w{worker} n{n}"
        store.run_write(lambda s: workflow.add_interaction(s, actor, tid, "note", text))
        store.run_write(
            lambda s: workflow.update_ticket(s, actor, tid, {"error_codes": f"w{worker}-{n}"})
        )
    print("ok")
    """
)


def test_parallel_writers_lose_nothing(desk: Desk) -> None:
    rules = RuleSet.default()
    ids = [
        desk.store.run_write(
            lambda s, i=i: (
                create_ticket(s, desk.admin, NewTicket(title=f"ticket {i}"), rules=rules).id
            )
        )
        for i in range(4)
    ]
    workers, rounds = 4, 25
    url = desk.store.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(w), str(rounds), ",".join(map(str, ids))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
        assert out.strip() == "ok"
    with desk.store.read() as s:
        notes = s.scalar(
            sa.select(sa.func.count()).select_from(Interaction).where(Interaction.kind == "note")
        )
        updates = s.scalar(
            sa.select(sa.func.count()).select_from(Interaction).where(Interaction.kind == "update")
        )
        versions = sum(s.scalars(sa.select(Ticket.version)))
    assert notes == workers * rounds
    # every update changed error_codes (each value is unique), so each bumped a version
    assert updates == workers * rounds
    assert versions == len(ids) + workers * rounds
