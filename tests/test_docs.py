"""README.md and GRADING.md say what the code does."""
from kata import docs, registry, trees


def test_generated_tables_match_the_registry():
    assert not docs.stale(), f"out of date: {docs.stale()} — run `kata docs` and commit the result"


def test_the_readme_gives_the_two_setup_commands_and_the_users_commands():
    readme = (trees.ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("pip install -e .", "\npytest\n", "--solutions", "--impl PATH", "--start-method",
                    "kata grade PATH --output results.json", "-n 2"):
        assert command in readme, f"README.md no longer mentions {command!r}"


def test_every_topic_has_its_lesson_stub_tests_and_solution():
    for topic in registry.names():
        for path in (trees.EXERCISES / topic / "README.md", trees.module_path(trees.EXERCISES, topic),
                     trees.EXERCISES / topic / f"test_{topic}.py", trees.module_path(trees.SOLUTIONS, topic)):
            assert path.is_file(), f"topic {topic!r} is in the registry but {path} is missing"
