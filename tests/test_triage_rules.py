"""Tests for the explainable triage rules engine and the shipped rules file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpdesk_tui.errors import UsageError
from helpdesk_tui.services.priority import priority_for
from helpdesk_tui.services.triage_rules import RuleSet, TriageInput, TriageResult, normalise
from helpdesk_tui.services.vocab import DEFAULT_CATEGORIES

# How callers actually describe their problem, per expected category.
PHRASINGS: dict[str, list[str]] = {
    "hardware": [
        "My laptop won't turn on",
        "Printer jammed again on the 2nd floor",
        "Blue screen when I start my PC",
        "Monitor says no signal",
        "Keyboard not working, some keys are stuck",
        "spilled coffee on my keyboard",
        "The printer is offline and won't print",
        "laptop battery isn't charging",
    ],
    "software": [
        "Excel keeps crashing when I open a big file",
        "Outlook won't open",
        "App keeps crashing",
        "Getting an error message when saving in Word",
        "Emails stuck in outbox",
        "Windows update failed with error 0x80070005",
        "Adobe reader says licence expired",
    ],
    "network": [
        "No internet on my desk",
        "wifi keeps dropping",
        "VPN won't connect from home",
        "Can't access the shared drive",
        "The internet is very slow today",
        "remote desktop will not connect",
        "I'm getting limited connectivity on the wi-fi",
    ],
    "security": [
        "I think I got a phishing email",
        "I clicked a link in a suspicious email",
        "My computer has a virus",
        "I think my account has been hacked",
        "my laptop was stolen from my car",
        "Got a weird email asking for my password",
        "I sent a spreadsheet with customer data to the wrong person",
    ],
    "user_support": [
        "I can't log in",
        "Forgot my password",
        "I'm locked out of my account",
        "Password expired and I cannot change it",
        "I got a new phone and need to set up the authenticator app",
        "I'm not getting the verification code",
    ],
    "service_request": [
        "Need access to the finance shared folder",
        "New starter on Monday, please set up an account",
        "Please install software: Visio on my laptop",
        "Can I get a second monitor?",
        "Please add me to the marketing distribution list",
        "John is leaving the company on Friday, please disable his account",
    ],
    "data_recovery": [
        "I deleted a folder by accident",
        "Can you restore a file from backup",
        "I accidentally deleted an important email",
        "Overwrote my spreadsheet, need yesterday's version",
        "Files disappeared from my desktop",
        "Emptied the recycle bin by mistake",
    ],
    "performance": [
        "My computer is very slow",
        "Everything takes forever to load",
        "Laptop is really sluggish since this morning",
        "PC freezes every few minutes",
        "high CPU usage even when idle",
        "laptop takes 10 minutes to boot",
    ],
    "consulting": [
        "How do I set up an out of office reply?",
        "Advice on which laptop to buy for the design team",
        "Is it possible to share my calendar with an external partner?",
        "What's the best way to send large files to a client?",
        "Can you recommend a tool for project planning?",
    ],
    "other": [
        "The air conditioning in room 4 is broken",
        "My chair is broken",
        "Question about my payslip",
        "The coffee machine is leaking",
        "This is a test ticket, please ignore",
    ],
}

CASES = [(category, text) for category, texts in PHRASINGS.items() for text in texts]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.default()


def triage(rules: RuleSet, title: str, **facts: Any) -> TriageResult:
    return rules.evaluate(TriageInput(title, **facts))


def rule_ids(result: TriageResult) -> list[str]:
    return [reason.rule for reason in result.reasons]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ shipped rules


def test_phrasings_cover_every_default_category() -> None:
    assert set(PHRASINGS) == set(DEFAULT_CATEGORIES)
    assert all(len(texts) >= 4 for texts in PHRASINGS.values())


@pytest.mark.parametrize(("category", "text"), CASES)
def test_plain_language_lands_on_the_right_category(
    rules: RuleSet, category: str, text: str
) -> None:
    result = triage(rules, text)
    assert result.category == category, result.reasons


@pytest.mark.parametrize(("category", "text"), CASES[::3])
def test_category_is_found_in_the_body_too(rules: RuleSet, category: str, text: str) -> None:
    result = rules.evaluate(TriageInput(title="Help please", body=text))
    assert result.category == category


def test_shipped_rules_are_valid_and_cover_every_category(rules: RuleSet) -> None:
    assert rules.validate(DEFAULT_CATEGORIES) == []
    for category in DEFAULT_CATEGORIES:
        own = [r for r in rules.rules if r.category == category]
        phrases = sum(len(r.any_of) + sum(len(g) for g in r.all_of) for r in own)
        assert len(own) >= 3, category
        assert phrases >= 30, category


def test_default_is_loaded_once(rules: RuleSet) -> None:
    assert RuleSet.default() is rules
    assert len(rules) > 40


def test_spoken_variants_match(rules: RuleSet) -> None:
    # Apostrophe styles, "cannot"/"can not", joined words and inflections all meet.
    for text in ("I can't log in", "I cannot login", "i can not log in", "I can’t log-in"):
        assert triage(rules, text).category == "user_support", text
    assert normalise("Printers crashed; E-mail") == normalise("printer crashes email")
    assert normalise("won't") == normalise("will not") == normalise("wont")


def test_phrases_match_whole_words_only(rules: RuleSet) -> None:
    # "vpn" must not match inside another word, nor "print" inside "fingerprint".
    assert triage(rules, "myvpnthing").category is None
    result = triage(rules, "Fingerprints")
    assert "hardware-printer" not in rule_ids(result)


def test_phrase_does_not_span_title_and_body(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.toml", '[[rule]]\nid = "r"\nany = ["can\'t log in"]\nurgency = "high"\n'
    )
    rules = RuleSet.load([path])
    assert rules.evaluate(TriageInput(title="Help", body="I can't log in")).urgency == "high"
    assert rules.evaluate(TriageInput(title="I can't", body="log in")).urgency == "medium"


# ------------------------------------------------------------- impact and urgency


def test_vip_requester_raises_urgency(rules: RuleSet) -> None:
    plain = triage(rules, "Printer jammed")
    vip = triage(rules, "Printer jammed", vip=True)
    assert plain.urgency == "medium"
    assert vip.urgency == "high"
    assert vip.priority == "medium"  # low impact x high urgency
    assert any(
        r.rule == "urgency-vip" and r.text == "VIP requester -> urgency high" for r in vip.reasons
    )


@pytest.mark.parametrize(
    ("users", "impact"), [(None, "low"), (4, "low"), (5, "medium"), (49, "medium"), (50, "high")]
)
def test_affected_users_set_impact(rules: RuleSet, users: int | None, impact: str) -> None:
    assert triage(rules, "Printer jammed", affected_users=users).impact == impact


def test_affected_users_reason_shows_the_count(rules: RuleSet) -> None:
    result = triage(rules, "Printer jammed", affected_users=120)
    texts = [r.text for r in result.reasons if r.rule == "impact-users-50"]
    assert texts == ["120 affected users (>= 50) -> impact high"]


@pytest.mark.parametrize("system", ["Payroll", "SAP ERP (production)", "core-banking", "E-mail"])
def test_critical_system_means_high_impact(rules: RuleSet, system: str) -> None:
    result = triage(rules, "It shows an error", affected_system=system)
    assert result.impact == "high"
    assert "impact-critical-system" in rule_ids(result)


def test_other_system_does_not_raise_impact(rules: RuleSet) -> None:
    assert triage(rules, "It shows an error", affected_system="Canteen menu").impact == "low"


@pytest.mark.parametrize(
    ("scope", "impact"), [("one_user", "low"), ("team", "medium"), ("site", "high")]
)
def test_impact_scope(rules: RuleSet, scope: str, impact: str) -> None:
    result = triage(rules, "Printer jammed", impact_scope=scope)
    assert result.impact == impact
    assert f"impact scope '{scope}' -> impact {impact}" in [r.text for r in result.reasons]


def test_scope_never_lowers_a_rule_impact(rules: RuleSet) -> None:
    result = triage(rules, "The whole office has no internet", impact_scope="one_user")
    assert result.impact == "high"


def test_unknown_impact_scope_is_a_usage_error(rules: RuleSet) -> None:
    with pytest.raises(UsageError, match="impact scope"):
        triage(rules, "Printer jammed", impact_scope="galaxy")


@pytest.mark.parametrize(
    "text",
    [
        "The whole office has no internet",
        "Email is down for everyone",
        "All users are affected",
        "major outage on the file server",
    ],
)
def test_outage_words_mean_high_impact(rules: RuleSet, text: str) -> None:
    assert triage(rules, text).impact == "high"


def test_only_me_is_not_an_outage(rules: RuleSet) -> None:
    result = triage(rules, "Everyone else can log in except me")
    assert result.impact == "low"
    assert result.category == "user_support"


def test_shut_down_is_not_an_outage(rules: RuleSet) -> None:
    assert triage(rules, "My laptop shut down unexpectedly").impact == "low"


@pytest.mark.parametrize(
    "text",
    [
        "URGENT: printer jammed",
        "Need this asap, outlook won't open",
        "I can't work, my laptop won't boot",
        "Blocking me, deadline today",
    ],
)
def test_urgent_words_mean_high_urgency(rules: RuleSet, text: str) -> None:
    assert triage(rules, text).urgency == "high"


@pytest.mark.parametrize(
    "text",
    [
        "Not urgent: printer toner is low",
        "When you have time, could you install Notepad++",
        "No rush, need a second monitor",
        "Quick question about the VPN",
    ],
)
def test_can_wait_words_mean_low_urgency(rules: RuleSet, text: str) -> None:
    assert triage(rules, text).urgency == "low"


def test_security_incident_is_urgent_but_a_reported_phish_is_not(rules: RuleSet) -> None:
    clicked = triage(rules, "I clicked a link in a phishing email and entered my password")
    reported = triage(rules, "I got a phishing email but I did not click the link")
    assert (clicked.category, clicked.urgency) == ("security", "high")
    assert (reported.category, reported.urgency) == ("security", "medium")


def test_priority_follows_the_matrix(rules: RuleSet) -> None:
    examples = {
        ("high", "high"): triage(rules, "ERP is down, nobody can invoice, urgent"),
        ("high", "medium"): triage(rules, "Printer jammed", affected_users=80),
        ("medium", "high"): triage(rules, "Printer jammed", vip=True, impact_scope="team"),
        ("low", "medium"): triage(rules, "Printer jammed"),
        ("low", "low"): triage(rules, "No rush, printer toner is low"),
    }
    for (impact, urgency), result in examples.items():
        assert (result.impact, result.urgency) == (impact, urgency)
        assert result.priority == priority_for(impact, urgency)
    assert examples[("high", "high")].priority == "critical"
    assert examples[("low", "low")].priority == "informational"
    for _category, text in CASES:
        result = triage(rules, text)
        assert result.priority == priority_for(result.impact, result.urgency)


# -------------------------------------------------------------------- explanations


def test_reasons_name_the_rules_and_phrases(rules: RuleSet) -> None:
    result = triage(rules, "VPN won't connect, urgent")
    by_rule = {r.rule: r.text for r in result.reasons}
    assert "'vpn'" in by_rule["network-vpn"]
    assert "-> category network" in by_rule["network-vpn"]
    assert by_rule["urgency-high-words"] == "matched 'urgent' -> urgency high"
    assert by_rule["category"].startswith("category network: score")
    assert by_rule["priority"] == "impact low x urgency high -> priority medium"
    assert "no rule set the impact -> impact low (default)" in by_rule.values()


def test_no_match_gives_no_category_and_says_so(rules: RuleSet) -> None:
    result = triage(rules, "hello")
    assert result.category is None
    assert result.scores == {}
    assert result.confidence == 0.0
    assert (result.impact, result.urgency, result.priority) == ("low", "medium", "low")
    assert any(r.text == "no rule matched a category" for r in result.reasons)


def test_scores_list_alternatives_best_first(rules: RuleSet) -> None:
    result = triage(rules, "How do I reset my password?")
    assert result.category == "user_support"
    assert list(result.scores)[:2] == ["user_support", "consulting"]
    assert 0.5 < result.confidence < 1.0


def test_to_dict_is_json_with_stable_keys(rules: RuleSet) -> None:
    data = triage(rules, "wifi keeps dropping", vip=True).to_dict()
    assert list(data) == ["category", "priority", "impact", "urgency", "reasons", "scores"]
    assert data["category"] == "network"
    assert json.loads(json.dumps(data)) == data
    assert {"rule": "urgency-vip", "text": "VIP requester -> urgency high"} in data["reasons"]


# ------------------------------------------------------------ format and combination

BASE = """
[[rule]]
id = "net"
any = ["vpn", "wifi"]
category = "network"

[[rule]]
id = "soft"
any = ["crash", "error"]
category = "software"

[[rule]]
id = "vip"
vip = true
urgency = "high"
"""


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return write(tmp_path / "base.toml", BASE)


def test_more_matched_phrases_score_more_and_ties_go_to_the_earlier_rule(base: Path) -> None:
    rules = RuleSet.load([base])
    assert rules.evaluate(TriageInput("vpn crash")).category == "network"  # tie: net first
    result = rules.evaluate(TriageInput("vpn error crash"))
    assert result.category == "software"
    assert result.scores == {"software": 2.0, "network": 1.0}
    tie = rules.evaluate(TriageInput("vpn crash"))
    assert any(r.rule == "category" and "tied with software" in r.text for r in tie.reasons)


def test_all_none_and_alternative_groups(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.toml",
        """
[[rule]]
id = "slow-net"
all = [["internet", "wifi"], "slow"]
none = ["not slow"]
weight = 2
category = "network"
""",
    )
    rules = RuleSet.load([path])
    assert rules.evaluate(TriageInput("the wifi is slow")).scores == {"network": 4.0}
    assert rules.evaluate(TriageInput("the wifi is down")).category is None
    assert rules.evaluate(TriageInput("slow laptop")).category is None
    assert rules.evaluate(TriageInput("internet is not slow")).category is None


def test_second_file_overrides_disables_and_adds(base: Path, tmp_path: Path) -> None:
    site = write(
        tmp_path / "site.toml",
        """
[[rule]]
id = "vip"
enabled = false

[[rule]]
id = "soft"
weight = 5

[[rule]]
id = "site-printer"
any = ["printer"]
category = "hardware"
impact = "medium"
""",
    )
    rules = RuleSet.load([base, site])
    assert rules.evaluate(TriageInput("x", vip=True)).urgency == "medium"
    assert rules.evaluate(TriageInput("vpn wifi crash")).category == "software"  # 5 > 2
    printer = rules.evaluate(TriageInput("printer"))
    assert (printer.category, printer.impact) == ("hardware", "medium")
    # Overrides keep the rule's place; the new rule goes last; the disabled one is listed.
    assert [r.id for r in rules.rules] == ["net", "soft", "vip", "site-printer"]
    assert [r.enabled for r in rules.rules] == [True, True, False, True]
    assert rules.rules[1].source == str(site)


def test_site_file_on_top_of_the_shipped_rules(tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", '[[rule]]\nid = "urgency-vip"\nenabled = false\n')
    rules = RuleSet.load([site], include_default=True)
    assert rules.evaluate(TriageInput("printer jammed", vip=True)).urgency == "medium"
    assert RuleSet.default().evaluate(TriageInput("printer jammed", vip=True)).urgency == "high"


def test_disabling_an_unknown_rule_is_a_warning(base: Path, tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", '[[rule]]\nid = "gone"\nenabled = false\n')
    problems = RuleSet.load([base, site]).validate()
    assert len(problems) == 1
    assert str(site) in problems[0] and "'gone'" in problems[0]


def test_unknown_category_is_caught_by_validate_and_ignored_by_evaluate(tmp_path: Path) -> None:
    path = write(tmp_path / "r.toml", '[[rule]]\nid = "odd"\nany = ["x"]\ncategory = "netwrok"\n')
    rules = RuleSet.load([path])
    problems = rules.validate(DEFAULT_CATEGORIES)
    assert len(problems) == 1
    assert str(path) in problems[0] and "'odd'" in problems[0] and "'netwrok'" in problems[0]
    # Intake must never fail on the desk's taxonomy: the rule proposes nothing, says why.
    result = rules.evaluate(TriageInput("x"))
    assert result.category is None
    assert any("netwrok (not used by this desk)" in r.text for r in result.reasons)
    # A desk that configured the category is fine.
    assert rules.evaluate(TriageInput("x"), categories=["netwrok"]).category == "netwrok"


def test_validate_reports_redundant_and_contradictory_phrases(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.toml",
        '[[rule]]\nid = "r"\nany = ["crash", "crashes", "spam"]\nnone = ["spam"]\n'
        'category = "software"\n',
    )
    problems = RuleSet.load([path]).validate()
    assert any("'crashes' is the same as 'crash'" in p for p in problems)
    assert any("'spam' is both required and excluded" in p for p in problems)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nid = "r"\nany = ["x"\n', "invalid TOML"),
        ('[[rule]]\nid = "r"\nanny = ["x"]\ncategory = "other"\n', "rule 'r': unknown key 'anny'"),
        ('[[rule]]\nid = "r"\nany = ["x"]\nimpact = "huge"\n', "rule 'r': unknown impact 'huge'"),
        ('[[rule]]\nid = "r"\nany = ["x"]\nurgency = 1\n', "rule 'r': unknown urgency 1"),
        ('[[rule]]\nany = ["x"]\ncategory = "other"\n', "rule #1: missing or invalid 'id'"),
        ('[[rule]]\nid = "r"\nany = "x"\ncategory = "other"\n', "rule 'r': 'any' must be a list"),
        ('[[rule]]\nid = "r"\nany = ["!!"]\ncategory = "other"\n', "rule 'r': 'any': phrase"),
        ('[[rule]]\nid = "r"\nany = ["x"]\nweight = -1\ncategory = "other"\n', "'weight'"),
        ('[[rule]]\nid = "r"\nmin_affected_users = true\nimpact = "high"\n', "min_affected"),
        ('[[rule]]\nid = "r"\ncategory = "other"\n', "rule 'r': has no condition"),
        ('[[rule]]\nid = "r"\nany = ["x"]\n', "rule 'r': has no outcome"),
        ('[[rule]]\nid = "r"\nany = ["x"]\nimpact = "low"\n' * 2, "rule 'r': defined twice"),
        ('[rule]\nid = "r"\n', "array of tables"),
        ('title = "rules"\n', "unknown top-level key 'title'"),
    ],
)
def test_bad_files_name_the_file_and_rule(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad-rules.toml", text)
    with pytest.raises(UsageError) as caught:
        RuleSet.load([path])
    error = str(caught.value)
    assert error.startswith(f"{path}: ")
    assert message in error
    assert "\n" not in error


def test_override_of_a_misspelt_id_says_so(base: Path, tmp_path: Path) -> None:
    site = write(tmp_path / "site.toml", '[[rule]]\nid = "sotf"\nweight = 3\n')
    with pytest.raises(UsageError, match=r"site\.toml: rule 'sotf': has no condition.*no earlier"):
        RuleSet.load([base, site])


def test_missing_or_binary_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nope.toml: cannot read rules file"):
        RuleSet.load([tmp_path / "nope.toml"])
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="bin.toml: not UTF-8"):
        RuleSet.load([binary])
