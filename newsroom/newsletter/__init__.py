"""The newsletter: the editor (agent or deterministic draft), Jinja2 rendering, episode notes and
the issue's files."""
