"""SOP sync and runs, knowledge articles: services and CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from helpdesk_tui.cli import app
from helpdesk_tui.errors import Conflict, PermissionDenied, UsageError
from helpdesk_tui.services import kb, kb_files, sop, workflow
from helpdesk_tui.services.sop_files import shipped_sop_dir
from helpdesk_tui.services.tickets import NewTicket, create_ticket
from helpdesk_tui.services.triage_rules import RuleSet
from helpdesk_tui.store.models import Interaction, KbUse, Ticket
from tests.conftest import MONDAY_10, Desk


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "sop"
    shutil.copytree(shipped_sop_dir(), folder)
    return folder


def new_ticket(desk: Desk, title: str = "VPN won't connect") -> int:
    ticket = desk.store.run_write(
        lambda s: create_ticket(
            s, desk.admin, NewTicket(title=title), rules=RuleSet.default(), now=MONDAY_10
        )
    )
    return int(ticket.id or 0)


def test_sync_adds_updates_and_retires(desk: Desk, library: Path) -> None:
    first = desk.store.run_write(lambda s: sop.sync_sops(s, desk.admin, library))
    assert len(first.added) >= 35 and not first.updated
    again = desk.store.run_write(lambda s: sop.sync_sops(s, desk.admin, library))
    assert not again.added and not again.updated and again.unchanged == len(first.added)
    path = library / "printer-offline.md"
    path.write_text(path.read_text() + "\n")  # any change of content counts
    (library / "dns-resolution.md").unlink()
    third = desk.store.run_write(lambda s: sop.sync_sops(s, desk.admin, library))
    assert third.updated == ["printer-offline"] and third.retired == ["dns-resolution"]
    with desk.store.read() as s:
        ids = [v.id for v in sop.list_sops(s)]
    assert "dns-resolution" not in ids and "printer-offline" in ids


def test_sync_needs_permission(desk: Desk, library: Path) -> None:
    agent = desk.add_agent("alice")
    with pytest.raises(PermissionDenied, match="sop.manage"):
        desk.store.run_write(lambda s: sop.sync_sops(s, agent, library))


def test_run_an_sop_on_a_ticket(desk: Desk, library: Path) -> None:
    desk.store.run_write(lambda s: sop.sync_sops(s, desk.admin, library))
    tid = new_ticket(desk)
    run_id = desk.store.run_write(
        lambda s: sop.start_run(s, desk.admin, tid, "vpn-cannot-connect")
    ).id
    for step in (0, 1, 3):
        desk.store.run_write(lambda s, n=step: sop.tick_step(s, desk.admin, run_id, n))
    run = desk.store.run_write(lambda s: sop.tick_step(s, desk.admin, run_id, 3, done=False))
    assert run.steps_done == [0, 1]
    with pytest.raises(UsageError, match="no step 99"):
        desk.store.run_write(lambda s: sop.tick_step(s, desk.admin, run.id, 98))
    desk.store.run_write(lambda s: sop.finish_run(s, desk.admin, run.id, "resolved"))
    with pytest.raises(Conflict):
        desk.store.run_write(lambda s: sop.tick_step(s, desk.admin, run.id, 2))
    with desk.store.read() as s:
        ticket = s.get(Ticket, tid)
        assert ticket is not None and ticket.resolved_by_sop == "vpn-cannot-connect"
        texts = list(s.scalars(sa.select(Interaction.text).where(Interaction.kind == "sop")))
    assert texts[0].startswith("started SOP vpn-cannot-connect")
    assert sum("step 1 done" in t for t in texts) == 1 and any("step 4 undone" in t for t in texts)
    assert texts[-1].startswith("SOP vpn-cannot-connect finished: resolved (2 steps done)")


def draft(**overrides: object) -> kb.ArticleDraft:
    fields: dict[str, object] = {
        "title": "Reset the VPN profile",
        "body": "## Fix\nRemove and re-add the profile.",
        "category": "network",
        "tags": ["vpn", "VPN", " remote "],
    }
    fields.update(overrides)
    return kb.ArticleDraft(**fields)  # type: ignore[arg-type]


def test_article_lifecycle_translations_votes_and_use(desk: Desk) -> None:
    article = desk.store.run_write(lambda s: kb.create_article(s, desk.admin, draft()))
    aid = int(article.id or 0)
    assert article.status == "draft" and json.loads(article.tags) == ["remote", "vpn"]
    german = desk.store.run_write(
        lambda s: kb.create_article(
            s, desk.admin, draft(title="VPN-Profil", language="de"), translation_of=aid
        )
    )
    assert german.group_id == aid
    with pytest.raises(Conflict, match="de version"):
        desk.store.run_write(
            lambda s: kb.create_article(s, desk.admin, draft(language="de"), translation_of=aid)
        )
    tid = new_ticket(desk)
    with pytest.raises(UsageError, match="only published"):
        desk.store.run_write(lambda s: kb.link_solution(s, desk.admin, tid, aid))
    desk.store.run_write(lambda s: kb.set_status(s, desk.admin, aid, "published"))
    desk.store.run_write(lambda s: kb.link_solution(s, desk.admin, tid, aid))
    alice = desk.add_agent("alice")
    desk.store.run_write(lambda s: kb.vote(s, alice, aid, True))
    desk.store.run_write(lambda s: kb.vote(s, alice, aid, True))  # same vote: counted once
    desk.store.run_write(lambda s: kb.vote(s, desk.admin, aid, False))
    desk.store.run_write(lambda s: kb.vote(s, desk.admin, aid, True))  # changed mind
    with desk.store.read() as s:
        stored = kb.get_article(s, aid)
        assert (stored.helpful, stored.not_helpful, stored.uses) == (2, 0, 1)
        assert s.scalar(sa.select(sa.func.count()).select_from(KbUse)) == 1
        ticket = s.get(Ticket, tid)
        assert ticket is not None and ticket.solution_kb_id == aid
        contribution = {row["agent"]: row for row in kb.contribution(s)}
    assert (
        contribution[desk.admin.login]["created"] == 2
        and contribution[desk.admin.login]["used"] == 1
    )


def test_agents_write_but_do_not_publish(desk: Desk) -> None:
    agent = desk.add_agent("alice")
    article = desk.store.run_write(lambda s: kb.create_article(s, agent, draft()))
    with pytest.raises(PermissionDenied, match="kb.publish"):
        desk.store.run_write(lambda s: kb.set_status(s, agent, int(article.id or 0), "published"))


def test_stale_article_edit_conflicts(desk: Desk) -> None:
    article = desk.store.run_write(lambda s: kb.create_article(s, desk.admin, draft()))
    aid = int(article.id or 0)
    desk.store.run_write(
        lambda s: kb.update_article(s, desk.admin, aid, draft(body="v2"), expected_version=1)
    )
    with pytest.raises(Conflict, match="changed by someone else"):
        desk.store.run_write(
            lambda s: kb.update_article(s, desk.admin, aid, draft(body="v3"), expected_version=1)
        )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"title": " "}, "title"),
        ({"body": ""}, "body"),
        ({"category": "x"}, "category"),
        ({"language": "english!"}, "language"),
    ],
)
def test_bad_articles_are_refused(desk: Desk, override: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        desk.store.run_write(lambda s: kb.create_article(s, desk.admin, draft(**override)))


def test_article_from_resolved_ticket(desk: Desk) -> None:
    tid = new_ticket(desk, "Outlook not syncing")
    with pytest.raises(UsageError, match="resolved"), desk.store.read() as s:
        kb.draft_from_ticket(s, desk.admin, tid)
    desk.store.run_write(
        lambda s: workflow.change_status(
            s, desk.admin, tid, "resolved", note="rebuilt the OST file", code="solved_permanent"
        )
    )
    with desk.store.read() as s:
        prefilled = kb.draft_from_ticket(s, desk.admin, tid)
    assert prefilled.title == "Outlook not syncing" and "rebuilt the OST file" in prefilled.body
    assert "## Symptoms" in prefilled.body and "## Resolution" in prefilled.body


def test_export_import_round_trip(desk: Desk, tmp_path: Path) -> None:
    article = desk.store.run_write(lambda s: kb.create_article(s, desk.admin, draft()))
    desk.store.run_write(lambda s: kb.set_status(s, desk.admin, int(article.id or 0), "published"))
    folder = tmp_path / "kb"
    with desk.store.read() as s:
        [path] = kb_files.export_folder(s, desk.admin, folder)
    path.write_text(path.read_text().replace("Remove and re-add", "Delete and add again"))
    (folder / "new.md").write_text(
        '+++\ntitle = "Map a network drive"\ncategory = "network"\n+++\nUse File Explorer.\n'
    )
    report = desk.store.run_write(lambda s: kb_files.import_folder(s, desk.admin, folder))
    assert report.updated == [article.id] and len(report.created) == 1
    with desk.store.read() as s:
        assert "Delete and add again" in kb.get_article(s, int(article.id or 0)).body
        assert [a.title for a in kb.list_articles(s, search="network drive")] == [
            "Map a network drive"
        ]
    (folder / "broken.md").write_text('+++\ntitle = "x"\ncategory = "nope"\n+++\nbody\n')
    with pytest.raises(UsageError, match="broken.md"):
        desk.store.run_write(lambda s: kb_files.import_folder(s, desk.admin, folder))


def test_export_writes_no_escape_and_front_matter_stays_exact(desk: Desk, tmp_path: Path) -> None:
    """Issue 11 item 6: an exported file is safe to `cat`; DEL no longer breaks its TOML."""
    title = "VPN \x7f\x1b]0;PWNED\x07 \u202eZoë\x9b2J"
    body = "Step\tone\x1b[2J\r\nStep two \x1b]52;c;ZXZpbA==\x07"
    hostile = draft(title=title, body=body, tags=["t\x1b]0;x\x07"])
    article = desk.store.run_write(lambda s: kb.create_article(s, desk.admin, hostile))
    with desk.store.read() as s:
        [path] = kb_files.export_folder(s, desk.admin, tmp_path / "kb")
    raw = path.read_text(encoding="utf-8")
    assert not any(c in raw for c in "\x1b\x07\x7f\x9b\u202e\r")
    meta, exported = kb.parse_markdown(path)
    assert meta["title"] == title and meta["tags"] == ["t\x1b]0;x\x07"]  # exact (TOML escapes)
    assert "Zoë" in raw  # readable, not \u00eb
    assert exported == "Step\tone\u241b[2J\nStep two \u241b]52;c;ZXZpbA==\u2407\n"
    report = desk.store.run_write(lambda s: kb_files.import_folder(s, desk.admin, path.parent))
    assert report.updated == [article.id]


def cli(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_sop_and_kb(tmp_path: Path, library: Path) -> None:
    db = str(tmp_path / "cli.db")
    code, out, _ = cli(db, "init", "--json")
    assert code == 0 and json.loads(out)["sops_loaded"] == 42  # init loads the library
    code, out, _ = cli(db, "sop", "lint", "--dir", str(library))
    assert code == 0 and "no problems" in out
    password = library / "password-reset.md"
    password.write_text(password.read_text().replace("version = ", "version = 1", 1))
    code, out, _ = cli(db, "sop", "sync", "--dir", str(library), "--json")
    report = json.loads(out)
    assert code == 0 and report["updated"] == ["password-reset"] and report["unchanged"] == 41
    code, out, _ = cli(db, "sop", "show", "password-reset", "--json")
    shown = json.loads(out)
    assert shown["steps"] and shown["escalate_if"]
    code, _, err = cli(db, "sop", "show", "nope")
    assert code == 5 and "sop list" in err
    (library / "bad.md").write_text("no front matter\n")
    code, _, err = cli(db, "sop", "lint", "--dir", str(library))
    assert code == 1 and "bad.md:1:" in err
    code, out, _ = cli(
        db,
        "kb",
        "new",
        "-t",
        "Map a drive",
        "-b",
        "Use Explorer",
        "--category",
        "network",
        "--publish",
        "--json",
    )
    assert code == 0 and json.loads(out)["status"] == "published"
    code, out, _ = cli(db, "kb", "list", "--search", "drive", "--json")
    assert [a["title"] for a in json.loads(out)] == ["Map a drive"]
    code, _, err = cli(db, "kb", "new", "-t", "x", "-b", "y", "--category", "nope")
    assert code == 2 and "valid:" in err
