"""wsss-pipeline stages: each module with a `main()` is a CLI, `python -m stages.<name>`."""
