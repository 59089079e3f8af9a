"""Reading deployments: YAML, JSON, CSV and JSON Lines scenario files."""
