"""Matching ticket text to SOPs and KB articles (services/matcher.py).

The heart of this file is `PHRASINGS`: for every shipped SOP, tickets as callers and e-mails
put them, in their words rather than the SOP's (not its title, keywords or symptoms). The
matcher must put the right SOP in its top three for each. If one fails, improve the matcher
(synonyms, weights, scorers), not the phrasing: agents type what callers say.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest

from helpdesk_tui.services import matcher as matcher_module
from helpdesk_tui.services.matcher import (
    CANDIDATE_CAP,
    SMALL_LIBRARY,
    Match,
    MatchEntry,
    Matcher,
    analyse,
)
from helpdesk_tui.services.sop_files import Sop, load_library, shipped_sop_dir

PHRASINGS: dict[str, list[str]] = {
    "access-request-shared-folder": [
        "I can't open the finance folder on the S drive, it says I don't have permission",
        "please give me access to the HR team folder, my manager approved it",
        "I'm new in marketing and can't get into our team's SharePoint site",
        "the project drive shows up but I can't save anything to it",
    ],
    "account-lockout": [
        "my account got locked after I typed the wrong password a few times",
        "Windows says my user is locked out, can you unlock it please",
        "it keeps locking me out every morning even though I'm putting the right password in",
        "too many failed login attempts and now it won't let me in at all",
    ],
    "admin-rights-request": [
        "I need administrator access on my laptop to install developer tools",
        "Windows wants an admin login every time I try to change a setting",
        "can I get local admin on my PC? I'm a developer",
        "I need elevated permissions to run some scripts on my machine",
    ],
    "application-crash": [
        "Excel just closes on its own every time I open the budget spreadsheet",
        "the accounting program hangs and I have to kill it in task manager",
        "Word crashed twice this morning and I lost my work",
        "the app won't start, I double click and nothing happens",
    ],
    "backup-job-failed": [
        "got an email saying last night's backup of the file server failed",
        "warning on my laptop: last successful backup was two weeks ago",
        "the backup software is showing a red warning on the NAS job",
        "OneDrive says it couldn't back up my documents folder",
    ],
    "browser-certificate-error": [
        "Chrome says my connection isn't private when I go to the intranet",
        "getting a security warning about an invalid certificate on the HR portal",
        "Edge shows NET::ERR_CERT_AUTHORITY_INVALID on every site",
        "the website says the cert has expired and won't load",
    ],
    "data-restore-from-backup": [
        "a whole folder vanished from the team share, can you restore it from last week",
        "I overwrote an important spreadsheet, can I get yesterday's version back",
        "my Excel file is corrupted, is there an older copy somewhere",
        "files are missing from the project drive since Monday, need them brought back",
    ],
    "database-connection-error": [
        "the stock app says it can't reach the SQL server",
        "the CRM throws a database error as soon as it starts",
        "ODBC error when connecting the report to the database",
        "our line of business application times out connecting to its database",
    ],
    "deleted-file-recovery": [
        "I deleted a spreadsheet by accident, can I get it back?",
        "accidentally removed an email from a client and emptied the bin",
        "oops, I deleted the wrong folder and it's not in the recycle bin",
        "a colleague removed our shared document in Teams, can it be recovered",
    ],
    "disk-full": [
        "my C drive is out of space and I can't save anything",
        "Windows keeps warning me that storage is almost full",
        "the update won't install because there isn't enough room on the disk",
        "hard disk is red in explorer, only 200 MB left",
    ],
    "dns-resolution": [
        "I can't open the intranet by its name but the IP address works",
        "the file server can't be found by name, but typing its IP works",
        "Chrome shows ERR_NAME_NOT_RESOLVED for every internal site",
        "Google loads fine but none of our internal websites come up",
    ],
    "docking-station-not-working": [
        "plugged my laptop into the dock at the hot desk and the screens stay black",
        "my laptop battery drains at the hot desk even though it's docked",
        "the USB ports on my dock stopped working",
        "my monitors don't work through the thunderbolt dock anymore",
    ],
    "email-not-syncing": [
        "I'm not receiving any emails since this morning",
        "my messages are stuck in the outbox and won't send",
        "Outlook shows disconnected at the bottom and nothing updates",
        "Outlook pops up a login box over and over",
    ],
    "general-enquiry-routing": [
        "my door badge stopped working at the main entrance",
        "who do I talk to about a parking space?",
        "the air conditioning in our room is broken",
        "question about my payslip, not sure who to contact",
    ],
    "hardware-purchase-advice": [
        "what laptop should we order for our new graphic designer?",
        "my laptop is 6 years old, can I get a replacement?",
        "can you recommend a good headset for calls?",
        "I'd like to buy a second monitor, which one should I get",
    ],
    "how-to-consultation": [
        "how do I set up an automatic reply while I'm on holiday",
        "can you show me how to add a signature to my emails",
        "where can I find the travel expense form",
        "how do I share a document with someone outside the company",
    ],
    "keyboard-mouse-not-working": [
        "my mouse pointer won't move",
        "some keys on my keyboard type the wrong characters",
        "wireless mouse stopped working even after new batteries",
        "the touchpad on my laptop isn't responding",
    ],
    "laptop-hardware-fault": [
        "my laptop won't power on at all",
        "I spilled tea on my laptop keyboard",
        "the laptop screen is cracked after I dropped it",
        "laptop isn't charging, battery stuck at 0%",
        "laptop gets really hot and the fan is very loud",
    ],
    "leaver-offboarding": [
        "Sarah from accounts leaves on Friday, please disable her account",
        "an employee left today, please remove all his access",
        "the contractor's last day is tomorrow, we need his laptop back",
        "please forward the mails of an employee who left to his manager",
    ],
    "license-activation": [
        "red banner in Word saying the product isn't activated",
        "my Office trial has expired and I can't edit documents",
        "the software asks for a product key when I open it",
        "Adobe says my subscription has ended",
    ],
    "lost-or-stolen-device": [
        "someone broke into my car and took my work laptop",
        "I left my company mobile in a taxi",
        "my bag with my laptop was taken at the airport",
        "I can't find my work iPad anywhere",
    ],
    "mailbox-full": [
        "Outlook says my mailbox is over its size limit",
        "I can't send mail because my inbox is full",
        "clients say mails they send me come back undelivered",
        "I keep getting warnings that I'm nearly out of mailbox space",
    ],
    "malware-suspected": [
        "pretty sure my PC caught a virus, pop-ups everywhere",
        "all my files have weird extensions and there's a note asking for bitcoin",
        "Defender popped up saying something dangerous was quarantined",
        "the cursor is clicking on things on its own, I think someone is controlling my PC",
    ],
    "mfa-reset": [
        "I changed my phone and now I don't get the sign-in approval requests",
        "the six digit code from my phone doesn't work",
        "I'm not receiving the text message code when I log in",
        "lost my phone and can't do the two-step verification",
    ],
    "mobile-email-setup": [
        "how do I get my work mail on my new iPhone?",
        "I want to set up Outlook on my Android phone",
        "my tablet doesn't get company emails",
        "my phone says I need to install Company Portal for mail",
    ],
    "monitor-no-signal": [
        "my second screen just says no input",
        "the PC is running but the display is completely dark",
        "the external display isn't detected when I plug in HDMI",
        "my screen keeps flickering on and off",
    ],
    "network-outage-site": [
        "nobody in the Leeds office has internet",
        "the whole second floor lost network this morning",
        "everything is down at our branch, no systems at all",
        "internet is down for the entire building",
    ],
    "new-hire-onboarding": [
        "we have a new person starting next Monday, they need a laptop and login",
        "please create accounts for our new employee joining on the 1st",
        "a new team member started today and has no account",
        "set up a contractor who starts next week",
    ],
    "password-reset": [
        "forgot my password again, can't get into my laptop",
        "my password expired and it won't let me change it",
        "need a new password, the old one stopped working",
        "I need my password reset please",
    ],
    "phishing-report": [
        "I got a strange email asking me to confirm my login details",
        "clicked a link in a dodgy email, am I in trouble?",
        "got a mail from 'the CEO' asking me to buy vouchers urgently",
        "I think I typed my password into a fake Microsoft page",
    ],
    "printer-driver-install": [
        "how do I add the printer on our new floor?",
        "can't find the floor 4 printer when I try to add it",
        "every page prints as weird symbols and garbage text",
        "Windows says the driver is unavailable for the printer",
    ],
    "printer-offline": [
        "the printer on our floor is showing offline",
        "I sent my document to print and nothing comes out",
        "my documents sit in the print queue forever",
        "the printer on the 3rd floor has a paper jam",
    ],
    "service-desk-complaint": [
        "I want to complain about how long my ticket has taken",
        "your technician was rude to me on the phone",
        "I'd like to speak to a manager, nobody is helping me",
        "I want to give some feedback about the IT support",
    ],
    "shared-mailbox-access": [
        "I need access to the info@ mailbox",
        "the team inbox isn't showing in my Outlook",
        "I can see the sales mailbox but sending as sales@ is refused",
        "I'm the new PA and need to edit my director's diary",
    ],
    "slow-computer": [
        "PC is painfully slow today, every click takes seconds",
        "my laptop takes ages to boot",
        "the whole PC locks up for a few seconds while I type",
        "since the update my PC is sluggish",
    ],
    "software-install-request": [
        "can you put Microsoft Project on my laptop",
        "I need Adobe Acrobat Pro for work",
        "what is the process to request new software for my computer",
        "please install Python on my PC",
    ],
    "system-performance-degraded": [
        "the ERP is crawling for the whole team",
        "CRM screens take ages to open for the whole sales team",
        "SAP keeps timing out since this morning",
        "the whole department says the intranet is very slow today",
    ],
    "teams-or-chat-not-working": [
        "Teams opens but the window is blank white",
        "my Teams messages aren't going through",
        "Teams status is stuck on away although I'm at my desk",
        "I can't join the Teams meeting from the link",
    ],
    "ticket-status-enquiry": [
        "I rang last Tuesday about a problem and want to know where my ticket is",
        "it's been a week and no one has called me back about my broken laptop",
        "can you tell me when my issue will be fixed?",
        "I'm still waiting for an update on INC 12345",
    ],
    "video-call-audio": [
        "nobody on the call can hear me when I talk",
        "my webcam shows a black picture in Zoom",
        "I can't hear anyone on Teams calls",
        "everyone hears themselves twice on my calls, awful echo",
    ],
    "vpn-cannot-connect": [
        "at home today and the VPN client just fails to connect",
        "VPN drops out every 10 minutes so I lose my session",
        "GlobalProtect says authentication failed",
        "working remotely and can't get to the shared drive",
    ],
    "wifi-cannot-connect": [
        "my laptop refuses to join the office wifi",
        "wireless keeps dropping out in the meeting room",
        "wifi shows connected but pages won't load",
        "I can't see the wireless network",
    ],
}


CASES = [(sop_id, text) for sop_id, texts in PHRASINGS.items() for text in texts]


@pytest.fixture(scope="module")
def sops() -> list[Sop]:
    return load_library(shipped_sop_dir())


@pytest.fixture(scope="module")
def matcher(sops: list[Sop]) -> Matcher:
    return Matcher.from_sops(sops)


def ids(matches: list[Match]) -> list[str]:
    return [match.id for match in matches]


# --- the phrasings ------------------------------------------------------------------------


def test_phrasings_cover_every_shipped_sop(sops: list[Sop]) -> None:
    assert set(PHRASINGS) == {sop.id for sop in sops}
    for sop_id, texts in PHRASINGS.items():
        assert len(texts) >= 3, sop_id
        assert len(set(texts)) == len(texts), sop_id


def test_phrasings_are_not_copied_from_the_sop(sops: list[Sop]) -> None:
    """A phrasing may share words with its SOP, but not be its title, a keyword or symptom."""
    by_id = {sop.id: sop for sop in sops}
    for sop_id, texts in PHRASINGS.items():
        sop = by_id[sop_id]
        for text in texts:
            lowered = text.casefold()
            assert sop.title.casefold() not in lowered, (sop_id, text)
            assert lowered not in {keyword.casefold() for keyword in sop.keywords}, text
            for symptom in sop.symptoms:
                assert symptom.casefold() not in lowered, (sop_id, text)


@pytest.mark.parametrize(("sop_id", "text"), CASES, ids=[f"{s}:{t[:40]}" for s, t in CASES])
def test_phrasing_finds_its_sop_in_the_top_three(matcher: Matcher, sop_id: str, text: str) -> None:
    top = matcher.match(text, limit=3)
    assert sop_id in ids(top), f"{text!r}: got {[(m.id, m.score) for m in top]}"


def test_most_phrasings_put_their_sop_first(matcher: Matcher) -> None:
    """Top three is the contract; first place is what the agent opens without looking."""
    first = sum(matcher.match(text, limit=1)[0].id == sop_id for sop_id, text in CASES)
    assert first / len(CASES) >= 0.9


# --- typing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sop_id"),
    [
        ("vpn", "vpn-cannot-connect"),
        ("vpn wont conn", "vpn-cannot-connect"),
        ("my password exp", "password-reset"),
        ("printer off", "printer-offline"),
        ("wifi keeps drop", "wifi-cannot-connect"),
        ("my laptop was sto", "lost-or-stolen-device"),
        ("the whole office has no inter", "network-outage-site"),
        ("outlook keeps asking for my pass", "email-not-syncing"),
    ],
)
def test_a_half_typed_query_already_ranks_the_right_sop_first(
    matcher: Matcher, typed: str, sop_id: str
) -> None:
    assert ids(matcher.match(typed))[:1] == [sop_id]


def test_every_prefix_of_a_query_keeps_the_right_sop_once_its_key_word_is_typed(
    matcher: Matcher,
) -> None:
    query = "vpn wont connect from home"
    for end in range(3, len(query) + 1):
        assert ids(matcher.match(query[:end]))[:1] == ["vpn-cannot-connect"], query[:end]


def test_a_half_typed_stopword_completes_only_beside_other_words(matcher: Matcher) -> None:
    assert matcher.match("the") == []
    assert matcher.match("printer off")[0].matched[0] == "printer offline"


def test_typos_are_forgiven(matcher: Matcher) -> None:
    assert ids(matcher.match("pasword expird"))[:1] == ["password-reset"]
    assert ids(matcher.match("printr is ofline"))[:1] == ["printer-offline"]
    assert ids(matcher.match("wirless keeps droping"))[:1] == ["wifi-cannot-connect"]


def test_a_pasted_email_is_matched_on_its_first_words(matcher: Matcher) -> None:
    """A long e-mail costs no more than its first words: the subject says what it is about."""
    filler = " ".join(
        f"paragraph{n} about the weekly sales figures and agendas" for n in range(300)
    )
    email = f"Subject: VPN keeps dropping at home\n\nHello team,\n{filler}\nThanks, Sam"
    # The first words, plus the last one: the text does not end in a space, so it may be
    # the word being typed.
    assert len(matcher._slots(email)) <= matcher_module._MAX_SLOTS + 1
    assert ids(matcher.match(email))[:1] == ["vpn-cannot-connect"]


# --- what a match says --------------------------------------------------------------------


def _entry_text(sop: Sop) -> str:
    parts = [sop.title, *sop.keywords, *sop.symptoms, *(step.text for step in sop.steps)]
    return " ".join(parts).casefold()


@pytest.mark.parametrize(
    "text",
    [
        "vpn wont conn",
        "my password expired and it won't let me change it",
        "my laptop refuses to join the office wifi",
        "pretty sure my PC caught a virus, pop-ups everywhere",
        "Outlook shows disconnected at the bottom and nothing updates",
    ],
)
def test_matched_lists_real_terms_from_the_query_or_the_sop(
    matcher: Matcher, sops: list[Sop], text: str
) -> None:
    by_id = {sop.id: sop for sop in sops}
    results = matcher.match(text)
    assert results
    for match in results:
        assert match.matched, match
        entry_text = _entry_text(by_id[match.id])
        for term in match.matched:
            # A keyword phrase, a word the agent typed, or a word of the SOP: never a stem.
            assert term.casefold() in text.casefold() or term.casefold() in entry_text, (
                match.id,
                term,
            )


def test_matched_explains_with_phrases_and_the_agents_own_words(matcher: Matcher) -> None:
    vpn = matcher.match("vpn wont conn")[0]
    assert vpn.matched == ("can't connect to vpn",)
    wifi = matcher.match("laptop cannot connect to the Wi-Fi in the meeting room")[0]
    assert wifi.id == "wifi-cannot-connect"
    assert wifi.matched[0] == "can't connect to wifi"
    # A synonym is shown in the SOP's word, so the agent can find it in the SOP.
    diary = matcher.match("I'm the new PA and need to edit my director's diary")[0]
    assert diary.id == "shared-mailbox-access"
    assert "calendar" in " ".join(diary.matched)
    assert "diary" not in diary.matched
    slow = matcher.match("my PC is sluggish")[0]
    assert (slow.id, slow.matched) == ("slow-computer", ("slow computer",))
    # A half word is shown as the word it completes to, not as typed.
    outage = matcher.match("the whole office has no inter")[0]
    assert "internet" in outage.matched


def test_scores_are_0_to_100_best_first_and_to_dict_is_plain(matcher: Matcher) -> None:
    results = matcher.match("my laptop refuses to join the office wifi", limit=10, min_score=0)
    scores = [match.score for match in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 100 for score in scores)
    data = results[0].to_dict()
    assert data == {
        "kind": "sop",
        "id": "wifi-cannot-connect",
        "title": results[0].title,
        "score": results[0].score,
        "matched": list(results[0].matched),
    }


def test_limit_and_min_score(matcher: Matcher) -> None:
    assert len(matcher.match("printer", limit=1)) == 1
    assert len(matcher.match("printer", limit=10, min_score=0)) > 2
    assert matcher.match("printer", limit=0) == []
    assert matcher.match("printer", min_score=100.1) == []


@pytest.mark.parametrize(
    "text", ["", "   ", "?!...", "asdf qwerty zxcv", "the and of it", "12 34", "ok thanks bye"]
)
def test_empty_or_meaningless_text_matches_nothing(matcher: Matcher, text: str) -> None:
    assert matcher.match(text) == []


# --- kinds, weights, library sizes --------------------------------------------------------

KB_VPN = MatchEntry(
    kind="kb",
    id="101",
    title="GlobalProtect VPN error 809 on home routers",
    keywords=("vpn error 809",),
    body="Error 809 means the home router blocks IPsec. Switch the portal to SSL mode.",
)
KB_PRINTER = MatchEntry(
    kind="kb",
    id="102",
    title="Printer shows offline after a toner change",
    body="Power-cycle the printer and clear the queue.",
)


def test_kind_filter(sops: list[Sop]) -> None:
    mixed = Matcher([*sop_entries(sops), KB_VPN, KB_PRINTER])
    assert len(mixed) == len(sops) + 2
    both = mixed.match("vpn error 809 from home")
    assert {match.kind for match in both} == {"sop", "kb"}
    assert both[0].id == "101"  # the article names the exact error
    assert ids(mixed.match("vpn error 809 from home", kind="kb")) == ["101"]
    only_sops = mixed.match("vpn error 809 from home", kind="sop")
    assert only_sops and all(match.kind == "sop" for match in only_sops)
    assert only_sops[0].id == "vpn-cannot-connect"
    assert mixed.match("vpn", kind="nothing-of-this-kind") == []


def sop_entries(sops: list[Sop]) -> list[MatchEntry]:
    return [
        MatchEntry(
            kind="sop",
            id=sop.id,
            title=sop.title,
            keywords=sop.keywords,
            symptoms=sop.symptoms,
            body="\n".join(step.text for step in sop.steps),
            category=sop.category,
        )
        for sop in sops
    ]


def test_field_weights_change_what_wins() -> None:
    entries = [
        MatchEntry(kind="kb", id="title", title="Toner replacement"),
        MatchEntry(kind="kb", id="body", title="Printer care", body="toner replacement guide"),
    ]
    assert ids(Matcher(entries).match("toner replacement"))[0] == "title"
    heavy_body = Matcher(entries, weights={"title": 0.1, "body": 1.0})
    assert ids(heavy_body.match("toner replacement"))[0] == "body"
    with pytest.raises(ValueError, match="unknown field weight"):
        Matcher(entries, weights={"headline": 1.0})


def test_an_empty_library_matches_nothing() -> None:
    assert len(Matcher([])) == 0
    assert Matcher([]).match("vpn") == []


# --- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variants"),
    [
        ("wifi", "Wi-Fi", "wi fi", "WLAN"),
        ("email", "e-mail", "mail", "emails"),
        ("login", "log in", "sign-in", "logon"),
        ("computer", "PC", "desktop", "workstation"),
        ("connect", "connection", "connecting", "connected"),
        ("password", "passwords", "pwd"),
        ("mfa", "2FA", "two-factor", "two step"),
    ],
)
def test_variants_normalise_to_one_term(variants: tuple[str, ...]) -> None:
    terms = {tuple(term for _, term in analyse(variant)) for variant in variants}
    assert len(terms) == 1, terms


def test_contractions_and_possessives() -> None:
    assert [word for word, _ in analyse("I can't open my team's folder")] == [
        "open",
        "team",
        "folder",
    ]
    assert analyse("the VPN won’t connect") == analyse("the VPN wont connect")


def test_teams_the_app_is_not_a_team() -> None:
    assert analyse("Teams") != analyse("team")


def test_numbers_count_from_three_digits_and_other_scripts_stay_whole() -> None:
    assert [term for _, term in analyse("error 809 on 2 screens")] == ["error", "809", "screen"]
    assert [word for word, _ in analyse("Drucker in der Küche")] == ["drucker", "der", "küche"]


@pytest.mark.parametrize(
    ("word", "stem"),
    [  # reference outputs of the Porter (1980) algorithm
        ("caresses", "caress"),
        ("ponies", "poni"),
        ("agreed", "agre"),
        ("hopping", "hop"),
        ("filing", "file"),
        ("relational", "relat"),
        ("generalization", "gener"),
        ("connection", "connect"),
        ("disconnecting", "disconnect"),
    ],
)
def test_porter_stemmer(word: str, stem: str) -> None:
    assert matcher_module._stem(word) == stem


# --- rapidfuzz backends -------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["_row_from_cpp", "_row_from_numpy", "_row_from_extract"])
def test_every_scoring_backend_gives_the_same_suggestions(
    sops: list[Sop], matcher: Matcher, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    if backend == "_row_from_numpy":
        pytest.importorskip("numpy")
    queries = ["vpn wont conn", "pasword expird", "my mouse pointer won't move"]
    expected = [matcher.match(query) for query in queries]
    monkeypatch.setattr(matcher_module, "_score_row", getattr(matcher_module, backend))
    assert [matcher.match(query) for query in queries] == expected


def test_matching_does_not_import_numpy() -> None:
    """numpy is no dependency: rapidfuzz's public cdist would import it, the matcher must not."""
    code = (
        "import sys\n"
        "from helpdesk_tui.services.matcher import Matcher\n"
        "from helpdesk_tui.services.sop_files import load_library, shipped_sop_dir\n"
        "m = Matcher.from_sops(load_library(shipped_sop_dir()))\n"
        "assert m.match('vpn wont conn')[0].id == 'vpn-cannot-connect'\n"
        "assert m.match('pasword')[0].id == 'password-reset'\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- a big library: the prefilter path ----------------------------------------------------

_PRODUCTS = (
    "Outlook", "Teams", "Excel", "SharePoint", "OneDrive", "SAP", "Citrix", "Chrome", "Zoom",
    "Visio", "Salesforce", "Jira", "Adobe Acrobat", "HP LaserJet", "Dell Latitude", "iPhone",
)  # fmt: skip
_ISSUES = (
    "sync error", "login prompt loops", "slow start", "add-in disabled", "update failed",
    "licence warning", "crash on export", "profile reset", "cache cleanup", "certificate renewal",
    "font missing", "macro blocked", "proxy settings", "calendar permissions", "print to PDF",
    "dark mode", "keyboard shortcuts", "language pack", "connector timeout", "mailbox migration",
    "password manager extension", "battery report", "driver rollback", "screen scaling",
)  # fmt: skip
_LEADS = ("How to fix", "Workaround:", "Known issue:", "FAQ:", "Troubleshooting")


def synthetic_kb(count: int, seed: int = 3) -> list[MatchEntry]:
    """KB articles about products and issues that share many words with the SOPs."""
    rng = random.Random(seed)
    entries = []
    for number in range(count):
        product, issue = rng.choice(_PRODUCTS), rng.choice(_ISSUES)
        entries.append(
            MatchEntry(
                kind="kb",
                id=str(100_000 + number),
                title=f"{rng.choice(_LEADS)} {product} {issue} ({rng.randint(100, 99_999)})",
                keywords=(f"{product} {issue}".lower(), product.lower()),
                body=(
                    f"{product} shows {issue}. Close {product}, clear the cache and sign in "
                    f"again; if your password was changed, enter the new one. Restart the "
                    f"computer and check the connection before reinstalling the client."
                ),
            )
        )
    return entries


@pytest.fixture(scope="module")
def big_entries(sops: list[Sop]) -> list[MatchEntry]:
    return sop_entries(sops) + synthetic_kb(20_000)


@pytest.fixture(scope="module")
def big(big_entries: list[MatchEntry]) -> Matcher:
    return Matcher(big_entries)


BIG_CASES = [
    ("at home today and the VPN client just fails to connect", "vpn-cannot-connect"),
    ("forgot my password again, can't get into my laptop", "password-reset"),
    ("the printer on our floor is showing offline", "printer-offline"),
    ("my account got locked after I typed the wrong password a few times", "account-lockout"),
    ("pretty sure my PC caught a virus, pop-ups everywhere", "malware-suspected"),
    ("vpn wont conn", "vpn-cannot-connect"),
]


def test_a_big_library_uses_the_prefilter(big: Matcher) -> None:
    assert len(big) > SMALL_LIBRARY
    candidates = big.candidates(["vpn", "connect"])
    assert 0 < len(candidates) <= CANDIDATE_CAP
    assert big._ids.index("vpn-cannot-connect") in candidates


@pytest.mark.parametrize(("text", "sop_id"), BIG_CASES)
def test_the_right_sop_still_wins_among_20000_kb_articles(
    big: Matcher, text: str, sop_id: str
) -> None:
    assert ids(big.match(text, limit=3))[:1] == [sop_id]
    assert ids(big.match(text, kind="sop", limit=1)) == [sop_id]


def test_the_kind_filter_applies_before_the_candidate_cap(sops: list[Sop]) -> None:
    """2,000+ KB articles that share more words must not crowd the SOPs out of the cap."""
    title = "VPN cannot connect from a hotel: the wifi blocks the tunnel ({})"
    crowd = [
        MatchEntry(kind="kb", id=f"vpn-{n}", title=title.format(n))
        for n in range(SMALL_LIBRARY + CANDIDATE_CAP)
    ]
    library = Matcher(sop_entries(sops) + crowd)
    query = "vpn cannot connect from home, hotel wifi blocks the tunnel"
    sop_index = library._ids.index("vpn-cannot-connect")
    assert sop_index not in library.candidates([term for _, term in analyse(query)])
    assert all(m.kind == "kb" for m in library.match(query))
    assert ids(library.match(query, kind="sop"))[:1] == ["vpn-cannot-connect"]


def test_the_prefilter_does_not_change_the_top_suggestions(
    big: Matcher, big_entries: list[MatchEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [text for text, _ in BIG_CASES] + ["outlook login prompt", "teams crash on export"]
    filtered = [ids(big.match(query, limit=3)) for query in queries]
    monkeypatch.setattr(matcher_module, "SMALL_LIBRARY", len(big) + 1)  # score everything
    assert [ids(big.match(query, limit=3)) for query in queries] == filtered


def test_a_big_library_answers_quickly(big: Matcher) -> None:
    """Not a benchmark (bench/bench_matcher.py is): a guard against an accidental full scan."""
    started = time.perf_counter()
    for text, _ in BIG_CASES:
        big.match(text)
    assert (time.perf_counter() - started) / len(BIG_CASES) < 0.5
