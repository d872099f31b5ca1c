# The kata's pytest plugin: the --solutions / --impl / --start-method options,
# the topic fixtures and the hygiene guard. Kept in kata/ so that the grader
# loads exactly the same code.
pytest_plugins = ["kata.pytest_plugin"]
