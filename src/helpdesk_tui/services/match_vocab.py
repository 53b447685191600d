"""The desk vocabulary the matcher normalises text with: stopwords, phrases, synonyms.

Plain data, no logic: `match_text` turns these tables into the word cutting and term
normalisation that both sides of a match (entries at build time, the query on every
keystroke) go through. Edit here to teach the matcher a new synonym or related term.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: Words that say nothing about which SOP applies. Negations are here too: nearly every
#: ticket says something is "not" working, so "not" cannot tell SOPs apart. Question words
#: that do tell ("how", "who", "where") are kept.
_STOPWORD_TEXT: Final = """
    a an the i im ive id ill me my mine myself we our ours us you your youre yours he she him
    her his they them their theirs it its itself this that these those there here is am are
    was were be been being do does did doing done have has had having will would shall should
    can could may might must cant cannot wont dont doesnt didnt isnt arent wasnt werent hasnt
    havent hadnt couldnt wouldnt shouldnt aint not no nor and or but if so because as of at by
    for with about to from in on onto into up down off over under again further then once just
    also too very really quite still now any some all each every both few more most other
    such only own same than please pls plz hi hello hey dear thanks thank thx regards cheers
    ok okay yes get got getting gets keep keeps kept keeping anymore anything something one
    which what whats when why while able unable like need needs needed want wants wanted
    since after before even though although yet seems seem says said say saying tell told let
    lets go going goes went make makes made know think sure bit lot lots way thing things
    someone anyone somebody anybody help via per etc
"""
STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())

#: Multi-word variants joined into one word after the text is cut into words, so "wi-fi",
#: "wi fi" and "wifi" are one word and "log in" is not "log" plus a stopword. Matching word
#: sequences (not a regex over the text) keeps this one dict look-up per word: KB bodies
#: are long and there may be 100,000 of them to prepare.
_PHRASES: Final[Mapping[str, str]] = {
    "wi fi": "wifi",
    "e mail": "email",
    "e mails": "email",
    **dict.fromkeys(("log in", "log on", "sign in", "sign on", "logged in", "signed in"), "login"),
    **dict.fromkeys(("pop up", "pop ups"), "popup"),
    **dict.fromkeys(
        ("two factor", "2 factor", "multi factor", "two step", "2 step", "multi step"), "mfa"
    ),
    "set up": "setup",
    **dict.fromkeys(("start up", "boot up"), "boot"),
    **dict.fromkeys(("takes ages", "take ages", "takes forever", "take forever"), "slow"),
    **dict.fromkeys(
        ("out of office", "automatic reply", "automatic replies", "auto reply", "auto replies"),
        "autoreply",
    ),
    "anti virus": "antivirus",
    **dict.fromkeys(("air con", "air conditioning"), "aircon"),
    **dict.fromkeys(("hard disk", "hard drive", "c drive"), "disk"),
    "no one": "nobody",
    "send as": "sendas",
    # "closes by itself", "moving on its own": the idiom, not its stopwords, is the clue.
    **dict.fromkeys(("by itself", "by themselves", "on its own", "on their own"), "byitself"),
    **dict.fromkeys(
        ("shut down", "shuts down", "shutting down", "shut off", "shuts off"), "shutdown"
    ),
    **dict.fromkeys(("come through", "comes through", "coming through"), "arrive"),
}
_PHRASE_TAILS: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    first: tuple(
        sorted(
            (tuple(p.split()[1:]) for p in _PHRASES if p.split()[0] == first),
            key=len,
            reverse=True,  # longest first: "pop ups" before "pop up"
        )
    )
    for first in {p.split()[0] for p in _PHRASES}
}
#: "can you put Visio on my laptop", "can I get 7-zip on my PC" ask for an install: one of
#: these verbs, one to three words, "on", then an owner.
_INSTALL_VERBS: Final = frozenset({"put", "get"})
_DEVICE_OWNERS: Final = frozenset({"my", "his", "her", "our", "their", "this"})
_PHRASE_FIRST: Final = frozenset(_PHRASE_TAILS) | _INSTALL_VERBS

#: Words that mean the same thing at a service desk, mapped onto one spelling before stemming.
_EQUIVALENT: Final[Mapping[str, str]] = {
    **dict.fromkeys(("wlan", "wifis"), "wifi"),
    **dict.fromkeys(("mail", "mails", "emails"), "email"),
    **dict.fromkeys(("signin", "logon", "logins", "signon"), "login"),
    **dict.fromkeys(("pw", "pwd", "passwd", "passcode", "passwords"), "password"),
    **dict.fromkeys(("2fa", "2sv", "multifactor"), "mfa"),
    **dict.fromkeys(("pc", "pcs", "desktop", "workstation", "machine", "computers"), "computer"),
    **dict.fromkeys(("notebook", "laptops"), "laptop"),
    **dict.fromkeys(("iphone", "android", "smartphone", "mobile", "cellphone", "samsung"), "phone"),
    **dict.fromkeys(("ipad", "tablets"), "tablet"),
    **dict.fromkeys(("mic", "mics", "microphones"), "microphone"),
    **dict.fromkeys(("cam", "camera", "cameras", "webcams"), "webcam"),
    **dict.fromkeys(("headphones", "headphone", "earphones", "earbuds", "airpods"), "headset"),
    **dict.fromkeys(("sound", "sounds"), "audio"),
    "diary": "calendar",
    **dict.fromkeys(("boss", "director", "supervisor"), "manager"),
    "online": "internet",
    **dict.fromkeys(
        ("sluggish", "laggy", "lagging", "lag", "lags", "crawling", "crawl", "slowly", "slowness"),
        "slow",
    ),
    **dict.fromkeys(("frozen", "froze", "hang", "hangs", "hanging", "hung"), "freeze"),
    **dict.fromkeys(("stole", "nicked", "robbed", "theft", "thief"), "stolen"),
    **dict.fromkeys(("vanished", "disappeared", "disappear", "gone"), "missing"),
    **dict.fromkeys(("corrupted", "corruption"), "corrupt"),
    **dict.fromkeys(("overwrote", "overwritten", "overwriting"), "overwrite"),
    **dict.fromkeys(("undelivered", "undeliverable", "ndr"), "bounce"),
    **dict.fromkeys(("scam", "dodgy", "fraud", "fraudulent", "spoof", "spoofed"), "suspicious"),
    **dict.fromkeys(("hacker", "compromised"), "hacked"),
    **dict.fromkeys(("erased", "binned"), "deleted"),
    **dict.fromkeys(("trash", "wastebasket"), "bin"),
    **dict.fromkeys(("licence", "licences", "licensing"), "license"),
    **dict.fromkeys(("cert", "certs", "ssl", "tls"), "certificate"),
    **dict.fromkeys(("administrator", "administrators", "admins"), "admin"),
    **dict.fromkeys(("printer", "printers", "printing", "printout", "printouts"), "print"),
    **dict.fromkeys(("complain", "complaining", "complained"), "complaint"),
    **dict.fromkeys(
        (
            "quit",
            "quitting",
            "resign",
            "resigned",
            "resigning",
            "resignation",
            "leaver",
            "leavers",
            "leaving",
            "leaves",
        ),
        "leave",
    ),
    **dict.fromkeys(("joiner", "joiners", "newcomer", "hire", "hires"), "starter"),
    **dict.fromkeys(
        ("apps", "application", "applications", "program", "programs", "programme"), "app"
    ),
    "pointer": "cursor",
    "trackpad": "touchpad",
    **dict.fromkeys(("case", "incident", "inc"), "ticket"),
    "news": "update",
    "dark": "black",
    **dict.fromkeys(("storage", "capacity"), "space"),
    **dict.fromkeys(("expiry", "expires", "expiring"), "expired"),
    **dict.fromkeys(("forgotten", "forget", "forgetting"), "forgot"),
    **dict.fromkeys(("locked", "locking", "lockout", "lockouts", "blocked", "block"), "lock"),
    **dict.fromkeys(("payslip", "payslips", "salary"), "payroll"),
    **dict.fromkeys(("globalprotect", "anyconnect", "forticlient"), "vpn"),
    "everybody": "everyone",
    "entire": "whole",
}

#: Terms that often stand for each other without meaning quite the same; the number is how
#: much a hit on the related term counts. Listed one way, applied both ways.
_RELATED_PAIRS: Final[tuple[tuple[str, str, float], ...]] = (
    ("wireless", "wifi", 0.7),
    ("laptop", "computer", 0.7),
    ("monitor", "screen", 0.7),
    ("monitor", "display", 0.8),
    ("screen", "display", 0.8),
    ("phone", "tablet", 0.5),
    ("audio", "hear", 0.7),
    ("virus", "malware", 0.9),
    ("virus", "antivirus", 0.8),
    ("malware", "ransomware", 0.8),
    ("hacked", "malware", 0.6),
    ("quarantined", "antivirus", 0.6),
    ("suspicious", "phishing", 0.8),
    ("fake", "phishing", 0.7),
    ("restore", "recover", 0.9),
    ("unlock", "lock", 0.8),
    ("elevated", "admin", 0.7),
    ("email", "outlook", 0.5),
    ("heating", "aircon", 0.7),
    ("everyone", "nobody", 0.7),
    ("everyone", "whole", 0.7),
    ("fix", "repair", 0.8),
    ("setup", "install", 0.6),
    ("license", "unlicensed", 0.9),
    ("lost", "missing", 0.7),
    ("stolen", "lost", 0.6),
    ("crash", "freeze", 0.6),
    ("crash", "shutdown", 0.7),
    ("close", "shutdown", 0.8),
    ("cursor", "mouse", 0.7),
    ("inbox", "mailbox", 0.8),
    ("inbox", "email", 0.6),
    ("arrive", "receive", 0.8),
)

#: Words the stemmer must leave alone because their stem means something else:
#: "teams" is the chat application, not several teams.
_NO_STEM: Final = frozenset({"teams", "windows", "news", "sales", "mfa", "vpn", "dns"})
