"""`python -m deployments [--config newsroom.toml]`: serve every deployment from this process."""

from deployments.serve import main

main()
