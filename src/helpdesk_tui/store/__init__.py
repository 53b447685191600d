"""Persistence: tables, engine and unit of work, migrations, search. No Textual here."""
