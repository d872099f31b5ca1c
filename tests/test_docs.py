"""README.md and GRADING.md say what the code does."""
import re

from kata import docs, registry, trees


def test_generated_tables_match_the_registry():
    assert not docs.stale(), f"out of date: {docs.stale()} — run `kata docs` and commit the result"


def test_the_readme_gives_the_two_setup_commands_and_the_users_commands():
    readme = (trees.ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("pip install -e .", "\npytest\n", "--solutions", "--impl PATH", "--start-method",
                    "kata grade PATH --output results.json", "-n 2"):
        assert command in readme, f"README.md no longer mentions {command!r}"


def test_the_readme_names_every_dependency_the_install_brings():
    import re
    from importlib.metadata import requires

    readme = (trees.ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme[readme.index("## Set up"):readme.index("## For students")]
    for requirement in requires("concurrency-kata"):
        if "extra ==" in requirement:  # an optional extra such as .[mutation]: not what `pip install -e .` brings
            continue
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group()
        assert name in setup, f"pyproject.toml depends on {name}, but README.md's Set up section does not name it"


def test_every_topic_has_its_lesson_stub_tests_and_solution():
    for topic in registry.names():
        for path in (trees.EXERCISES / topic / "README.md", trees.module_path(trees.EXERCISES, topic),
                     trees.EXERCISES / topic / f"test_{topic}.py", trees.module_path(trees.SOLUTIONS, topic)):
            assert path.is_file(), f"topic {topic!r} is in the registry but {path} is missing"


def test_the_grading_recipes_call_kata_grade_with_options_it_has():
    import re
    import shlex

    from kata.grader import parser

    recipes = trees.ROOT / "kata" / "grader" / "recipes"
    calls = []
    for path in recipes.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8").replace("\\\n", " ")
            commands = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
            calls += [(path.name, match) for line in commands for match in re.findall(r"kata grade (.+)", line)]
    assert calls, "no recipe calls kata grade"
    for name, arguments in calls:
        parser().parse_args(shlex.split(arguments))  # exits (fails) on an option kata grade lacks


def test_grading_md_documents_every_grade_option():
    from kata.grader import parser

    grading = (trees.ROOT / "GRADING.md").read_text(encoding="utf-8")
    options = [o for action in parser()._actions for o in action.option_strings if o.startswith("--")]
    missing = [o for o in options if o not in grading and o != "--help"]
    assert not missing, f"GRADING.md does not mention: {missing}"


def test_the_readme_tells_a_student_what_to_run_first_and_what_the_tutorial_column_is():
    readme = (trees.ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme[readme.index("## Set up"):readme.index("## For students")]
    assert "**Students**" in setup and "**Instructors**" in setup, (
        "README.md's Set up section should have a **Students** part and an **Instructors** part")
    student, instructor = setup.index("**Students**"), setup.index("**Instructors**")
    first_topic = f"pytest exercises/{registry.TOPICS[0].name}"
    assert student < setup.index("\nkata ", student) < setup.index(first_topic, student) < instructor, (
        f"README.md's Set up section should tell students to run `kata`, then `{first_topic}`, "
        "before it turns to the instructors' self-check")
    assert "\npytest\n" in setup[instructor:] and re.search(r"about \w+ minutes", setup[instructor:]), (
        "README.md's Set up section should give instructors bare `pytest` and say about how many minutes it takes")
    before_table = readme[:readme.index("<!-- topics:start -->")].rsplit("\n\n", 2)[-2]
    assert "Chinese tutorial" in before_table and '"tutorial" column' in before_table, (
        "the paragraph above README.md's topics table should say the tutorial column gives section numbers "
        f"of the Chinese tutorial on processes and threads; it says:\n{before_table}")


def test_the_readme_gives_the_spin_proof_its_real_thresholds():
    from kata import stall_spin

    text = " ".join((trees.ROOT / "README.md").read_text(encoding="utf-8").split())
    for figure in (f"burns {stall_spin.SPIN_CPU:g} s of CPU time", f"sleeps and wakes {stall_spin.SPIN_WAKES} times"):
        assert figure in text, f"README's spin paragraph should say {figure!r}, as kata/stall_spin.py does"
