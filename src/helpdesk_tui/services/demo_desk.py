"""Who and what the demo desk is: its people, departments and ticket templates.

A template is `title|problem|affected system|error codes|resolver group|resolution`; the
`{slots}` are filled from `SLOTS`. Bodies are a greeting, the problem, when it started,
what the requester tried and a sign-off, so that the category suggestion and the SOP/KB
matcher see text like a real desk's.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from helpdesk_tui.services.setup import DEFAULT_GROUPS
from helpdesk_tui.store.bulk import REQUESTER_COLUMNS, bulk_insert, reserve_ids, timestamp_encoder
from helpdesk_tui.store.models import (
    Agent,
    AgentRole,
    Department,
    GroupMember,
    Requester,
    Role,
    SupportGroup,
)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
DAY: Final = 86_400 * 1_000_000

DEPARTMENTS: Final = (
    "Finance", "Human Resources", "Sales", "Marketing", "Engineering", "Operations",
    "Legal", "Procurement", "Facilities", "Customer Service", "Logistics", "Research",
    "Executive Office", "Quality", "IT",
)  # fmt: skip

FIRST_NAMES: Final = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Ivan", "Julia",
    "Karl", "Laura", "Mehmet", "Nina", "Oliver", "Paula", "Quentin", "Rosa", "Sven", "Tara",
    "Uwe", "Vera", "Walter", "Xenia", "Yusuf", "Zoe", "Amir", "Bea", "Chen", "Dana", "Elif",
    "Frank", "Gina", "Hugo", "Ines", "Jonas", "Katrin", "Lukas", "Mia", "Noah", "Olga",
    "Piotr", "Rita", "Simon", "Theo",
)  # fmt: skip
LAST_NAMES: Final = (
    "Becker", "Schmidt", "Novak", "Garcia", "Rossi", "Dubois", "Jansen", "Kowalski",
    "Nielsen", "Silva", "Brown", "Wilson", "Murphy", "Fischer", "Weber", "Meyer", "Wagner",
    "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Braun",
    "Zimmermann", "Kruger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Kaiser",
    "Fuchs", "Yilmaz", "Costa", "Moreau", "Lindqvist", "Horvat",
)  # fmt: skip

#: Agents by (role, group, how many): 2 supervisors, 12 L1 agents, 11 L2/L3 engineers.
ROSTER: Final = (
    ("supervisor", "Service Desk", 2),
    ("agent", "Service Desk", 12),
    ("engineer", "L2 Desktop", 2),
    ("engineer", "L2 Network", 2),
    ("engineer", "L2 Identity", 1),
    ("engineer", "L2 Applications", 2),
    ("engineer", "L2 Messaging", 1),
    ("engineer", "L2 Backup", 1),
    ("engineer", "L3 Infrastructure", 1),
    ("engineer", "L3 Security", 1),
)

#: Share of each default category in the demo's volume.
CATEGORY_WEIGHTS: Final = {
    "hardware": 18, "software": 22, "network": 12, "security": 5, "user_support": 15,
    "service_request": 14, "data_recovery": 3, "performance": 5, "consulting": 2, "other": 4,
}  # fmt: skip

SLOTS: Final = {
    "floor": ("2nd", "3rd", "4th", "5th", "6th"),
    "desk": ("2.14", "3.07", "3.21", "4.02", "5.18", "6.11"),
    "room": ("Atlas", "Orion", "Everest", "Kilimanjaro", "Harbour View"),
    "app": ("Salesforce", "Power BI", "AutoCAD", "Visio", "Zoom", "DATEV", "Slack"),
    "site": ("Berlin", "Leeds", "Lyon", "Madrid", "Warsaw"),
    "share": (r"\\fs01\finance", r"\\fs01\projects", r"\\fs02\hr", r"\\fs02\marketing"),
    "mailbox": ("invoices", "support", "recruiting", "orders"),
    "report": ("budget", "sales forecast", "payroll", "inventory"),
    "portal": ("the supplier portal", "the travel booking site", "the HR portal"),
    "folder": ("Q3 invoices", "Contracts 2026", "Campaign assets", "Audit evidence"),
    "threat": ("Trojan:Win32/Wacatac", "PUA:Win32/Presenoker", "Exploit:JS/Blacole"),
    "tcode": ("FB60", "ME21N", "VA01", "MIGO"),
    "person": ("Jonas Weber", "Elif Yilmaz", "Paula Costa", "Theo Lindqvist"),
}

TEMPLATES: Final[dict[str, tuple[str, ...]]] = {
    "hardware": (
        "Printer on {floor} floor offline|The printer PRN-{floor}-02 shows offline for everyone "
        "near the kitchen.|Printing||L2 Desktop|Cleared the stuck queue and restarted the printer.",
        "Laptop won't boot after update|My laptop is stuck on the logo screen since last night's "
        "update.|Windows 11|0xc000021a|L2 Desktop|Repaired the boot record from recovery.",
        "Docking station not detecting monitors|Neither external monitor comes on when I dock "
        "my laptop.|Dell WD19 dock||L2 Desktop|Updated the dock firmware and display driver.",
        "Monitor flickering at desk {desk}|The left monitor at desk {desk} flickers and goes "
        "black every few minutes.|Monitor||L2 Desktop|Replaced the DisplayPort cable.",
        "Keyboard and mouse stopped working|My wireless keyboard and mouse stopped responding; "
        "new batteries did not help.|Peripherals||Service Desk|Re-paired the receiver.",
    ),
    "software": (
        "Outlook not syncing|Outlook stopped syncing new mail this morning, but webmail shows "
        "the messages.|Outlook|0x800CCC0E|L2 Messaging|Rebuilt the Outlook profile.",
        "Excel crashes when opening large files|Excel closes without a message when I open the "
        "{report} workbook.|Excel||L2 Applications|Disabled a faulty add-in and repaired Office.",
        "Teams calls drop after a few minutes|Teams calls drop after two or three minutes, "
        "chat still works.|Teams||L2 Messaging|Cleared the Teams cache and updated the client.",
        "Cannot install {app}|The installation of {app} from the Software Center fails at 50%."
        "|Software Center|0x87D00324|L2 Applications|Fixed the deployment and reinstalled.",
        "SAP shows runtime error|Transaction {tcode} ends with a runtime error when I post."
        "|SAP|TSV_TNEW_PAGE_ALLOC_FAILED|L2 Applications|Corrected the user parameters in SAP.",
    ),
    "network": (
        "VPN won't connect from home|The VPN client times out when I connect from home; my "
        "internet works otherwise.|GlobalProtect VPN|809|L2 Network|Reset the VPN profile.",
        "Wi-Fi drops in meeting room {room}|The Wi-Fi in meeting room {room} drops every few "
        "minutes during calls.|Wi-Fi||L2 Network|Moved the access point to another channel.",
        "No network at desk {desk}|The network port at desk {desk} gives no connection; the "
        "link light stays off.|LAN||L2 Network|Patched the port to the right switch.",
        "Cannot open {portal}|I cannot open {portal}; the browser says the connection timed "
        "out.|Proxy|ERR_CONNECTION_TIMED_OUT|L2 Network|Added the site to the proxy bypass.",
        "Cannot reach file share {share}|Windows says the network path {share} was not found."
        "|File server|0x80070035|L2 Network|Fixed the DNS record of the file server.",
    ),
    "security": (
        "Suspicious email asking for my password|An email pretending to be from IT asks me to "
        "confirm my password via a link.|Email security||L3 Security|Blocked the sender.",
        "Clicked a phishing link|I clicked a parcel delivery link and entered my login before "
        "I noticed the address.|Entra ID||L3 Security|Reset the password and revoked sessions.",
        "Antivirus reports a threat|Defender quarantined {threat} on my laptop.|Microsoft "
        "Defender||L3 Security|Ran a full scan; the file was removed, no further findings.",
        "Lost company phone|I lost my company phone on the train this morning.|Intune||"
        "L3 Security|Wiped and locked the phone remotely.",
    ),
    "user_support": (
        "Password reset needed|I forgot my password after the holidays and cannot log in to "
        "Windows.|Active Directory||Service Desk|Reset the password after verifying identity.",
        "Account locked out|My account keeps getting locked since I changed my password."
        "|Active Directory|4740|L2 Identity|Removed the old password stored on the phone.",
        "MFA prompt not arriving on new phone|The Authenticator app on my new phone gets no "
        "sign-in requests.|Entra ID MFA||L2 Identity|Re-registered the MFA method.",
        "Need access to shared mailbox {mailbox}|Please give me access to the {mailbox} shared "
        "mailbox.|Exchange||L2 Messaging|Granted full access and send-as.",
        "How do I set up an out-of-office reply?|I am on leave next week and need an "
        "automatic reply.|Outlook||Service Desk|Walked the user through automatic replies.",
    ),
    "service_request": (
        "New laptop for new starter|{person} starts on Monday and needs a laptop, a headset "
        "and an account.|Onboarding||Service Desk|Laptop prepared and handed over.",
        "Licence request for {app}|I need a licence for {app} for a new project.|Licensing"
        "||L2 Applications|Licence assigned.",
        "Access to {share} for {person}|Please give {person} read access to {share}.|File "
        "server||L2 Identity|Added the user to the access group.",
        "Second monitor for my desk|Could I get a second monitor for desk {desk}?|Hardware "
        "request||Service Desk|Monitor delivered and connected.",
        "Leaver: disable account of {person}|{person} leaves on Friday; please disable the "
        "account.|Offboarding||L2 Identity|Account disabled and mailbox converted.",
    ),
    "data_recovery": (
        "Restore deleted folder|I deleted the folder '{folder}' on {share} by mistake yesterday."
        "|File server backup||L2 Backup|Restored the folder from last night's backup.",
        "Recover previous version of Excel file|I saved over the {report} file and need the "
        "version from Monday.|OneDrive||L2 Backup|Restored the previous version.",
        "Deleted emails need to be recovered|I emptied my deleted items and need last week's "
        "mails back.|Exchange||L2 Messaging|Recovered the items from the retention store.",
    ),
    "performance": (
        "Computer very slow since update|My computer takes minutes to open any program since "
        "the update.|Windows 11||L2 Desktop|Removed a stuck update and cleaned the disk.",
        "{app} very slow for the whole team|{app} takes over a minute to load any screen for "
        "all of us.|{app}||L3 Infrastructure|Added resources to the application server.",
        "Citrix session freezes|My Citrix session freezes several times a day.|Citrix||"
        "L3 Infrastructure|Moved the user to a healthy session host.",
        "Reports time out|The {report} dashboard times out before it finishes loading."
        "|Reporting DB|ORA-01013|L3 Infrastructure|Rebuilt the index of the report tables.",
    ),
    "consulting": (
        "Sharing large files with a customer|What is the approved way to send 5 GB of drawings "
        "to a customer?|OneDrive||L2 Applications|Explained sharing links with expiry.",
        "Which laptop model for video editing?|Our team starts editing videos; which model "
        "should we order?|Hardware catalogue||L2 Desktop|Recommended the workstation model.",
    ),
    "other": (
        "Desk phone shows no service|The desk phone at desk {desk} shows 'No service'.|"
        "Telephony||Service Desk|Reconnected the phone to the network port.",
        "Meeting room screen stays black in {room}|The screen in meeting room {room} does not "
        "turn on.|Meeting rooms||Service Desk|Reset the room controller.",
        "Badge does not open door on {floor} floor|My badge no longer opens the door on the "
        "{floor} floor.|Access control||Service Desk|Passed to facilities; badge re-encoded.",
    ),
}

GREETINGS: Final = ("Hi,", "Hello,", "Hi team,", "Good morning,", "Hello IT,", "Dear support,")
SINCE: Final = (
    "It started this morning.",
    "This has been happening since yesterday.",
    "It worked fine last week.",
    "Colleagues nearby have the same problem.",
    "It happens every few hours.",
    "It is urgent for me because of a deadline today.",
)
TRIED: Final = (
    "I already restarted my computer.",
    "Restarting did not help.",
    "I tried logging out and back in.",
    "I have not tried anything yet.",
    "I checked the cables.",
    "A colleague tried on his machine with the same result.",
)
CLOSINGS: Final = ("Thanks", "Thank you", "Best regards", "Kind regards", "Cheers")


@dataclass(frozen=True)
class Template:
    """A kind of ticket the demo desk gets, with its texts filled in several ways."""

    category: str
    kind: str
    group: str  # the resolver group it escalates to
    codes: str
    resolution: str
    escalation: float  # chance a ticket not solved on first contact goes to `group`
    first_contact: float  # chance a live-channel ticket is solved during the call
    variants: tuple[tuple[str, str, str, str], ...]  # (title, body, tried, affected system)


def fill_templates(
    rng: random.Random, categories: Sequence[str], variants: int
) -> tuple[list[Template], list[float]]:
    """The templates of the desk's categories, each filled `variants` times, and their
    cumulative weights (a category's share split over its templates)."""
    out: list[Template] = []
    weights: list[float] = []
    for category, texts in TEMPLATES.items():
        if category not in categories:
            continue
        for text in texts:
            title, problem, system, codes, group, resolution = text.split("|")
            filled = []
            for _ in range(variants):
                slots = {k: rng.choice(v) for k, v in SLOTS.items()}
                tried = rng.choice(TRIED)
                body = (
                    f"{rng.choice(GREETINGS)}\n\n{problem.format_map(slots)} "
                    f"{rng.choice(SINCE)} {tried}\n\n{rng.choice(CLOSINGS)},"
                )
                filled.append((title.format_map(slots), body, tried, system.format_map(slots)))
            request = category in ("service_request", "consulting")
            out.append(
                Template(
                    category=category,
                    kind="service_request" if request else "incident",
                    group=group,
                    codes=codes,
                    resolution=resolution,
                    escalation=0.0
                    if group == "Service Desk"
                    else 0.6
                    if "Security" in group
                    else 0.3,
                    first_contact=0.75 if group == "Service Desk" else 0.35,
                    variants=tuple(filled),
                )
            )
            weights.append(CATEGORY_WEIGHTS[category] / len(texts))
    return out, list(accumulate(weights))


def ensure_people(session: Session, tickets: int, now_us: int) -> dict[str, Any]:
    """Departments, groups, the 25 agents and the requesters, created where missing."""
    rng = random.Random("helpdesk-demo-people")  # the same people for every seed
    depts = _ensure_named(session, Department, {name: {} for name in DEPARTMENTS})
    groups = _ensure_named(
        session, SupportGroup, {name: {"tier": tier} for name, tier in DEFAULT_GROUPS.items()}
    )
    roles = {r.name: _id(r.id) for r in session.scalars(sa.select(Role))}
    logins = {a.login: _id(a.id) for a in session.scalars(sa.select(Agent))}
    l1: list[int] = []
    engineers: dict[int, list[int]] = {}
    taken: set[str] = set()
    for role, group_name, count in ROSTER:
        for _ in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            login = (first[0] + last).lower()
            while login in taken:
                login += str(rng.randrange(10))
            taken.add(login)
            agent_id = logins.get(login)
            if agent_id is None:  # reuse an existing agent as is (an --append run)
                agent = Agent(
                    login=login,
                    name=f"{first} {last}",
                    email=f"{login}@example.com",
                    department_id=depts["IT"],
                    created_at=_EPOCH + timedelta(microseconds=now_us - 400 * DAY),
                )
                session.add(agent)
                session.flush()
                agent_id = _id(agent.id)
                session.add(AgentRole(agent_id=agent_id, role_id=roles[role]))
                session.add(GroupMember(group_id=groups[group_name], agent_id=agent_id))
            if role == "agent":
                l1.append(agent_id)
            elif role == "engineer":
                engineers.setdefault(groups[group_name], []).append(agent_id)
    session.flush()
    count = max(50, min(4000, tickets // 4))
    return {
        "groups": groups,
        "l1": l1,
        "engineers": engineers,
        "requesters": _ensure_requesters(session, rng, count, depts, now_us),
        "agents": len(taken),
        "departments": len(depts),
    }


def _ensure_named(
    session: Session, model: Any, wanted: dict[str, dict[str, Any]]
) -> dict[str, int]:
    """Ids of the rows of `model` named in `wanted`, creating the missing ones."""
    ids = {row.name: row.id for row in session.scalars(sa.select(model))}
    for name, values in wanted.items():
        if name not in ids:
            row = model(name=name, **values)
            session.add(row)
            session.flush()
            ids[name] = _id(row.id)
    return {name: ids[name] for name in wanted}


def _ensure_requesters(
    session: Session, rng: random.Random, count: int, depts: dict[str, int], now_us: int
) -> list[tuple[int, str, bool]]:
    """`count` requesters by e-mail, creating the ones the desk lacks; (id, first name, vip)."""
    wanted: list[tuple[str, str, str, str | None, int, bool, int]] = []
    seen: set[str] = set()
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower()
        email, n = f"{base}@example.com", 1
        while email in seen:
            n += 1
            email = f"{base}{n}@example.com"
        seen.add(email)
        dept = rng.choice(DEPARTMENTS)
        vip = dept == "Executive Office" or rng.random() < 0.01
        phone = f"+49 30 555{i:05d}" if rng.random() < 0.8 else None
        created = now_us - int((200 + rng.random() * 600) * DAY)
        wanted.append((email, first, f"{first} {last}", phone, depts[dept], vip, created))
    conn = session.connection()
    table = Requester.__table__  # type: ignore[attr-defined]
    ids: dict[str, int] = {}
    emails = [w[0] for w in wanted]
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        query = sa.select(table.c.email, table.c.id).where(table.c.email.in_(chunk))
        ids.update((email, rid) for email, rid in conn.execute(query))
    missing = [w for w in wanted if w[0] not in ids]
    new_ids = reserve_ids(conn, table, len(missing))
    encode = timestamp_encoder(conn)
    rows = []
    for rid, (email, _, name, phone, dept_id, vip, created) in zip(new_ids, missing, strict=True):
        rows.append((rid, name, email, phone, dept_id, vip, encode(created)))
        ids[email] = rid
    bulk_insert(conn, table, REQUESTER_COLUMNS, rows)
    return [(ids[w[0]], w[1], w[5]) for w in wanted]


def _id(value: int | None) -> int:
    assert value is not None  # rows read from or flushed to the database have ids
    return value
