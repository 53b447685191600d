"""End-to-end tests: the real `helpdesk` command in a pseudo-terminal."""
