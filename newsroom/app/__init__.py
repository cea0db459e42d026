"""The `newsroom` command: the only part of the package that imports flows/, tasks/ and deployments/."""
