"""The result cache: warm runs, invalidation, damaged entries, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asynclint import cache as cache_module
from asynclint.cache import CACHE_FOLDER, ResultCache, canonical, default_cache_dir, settings_key
from asynclint.diagnostic import Diagnostic, Edit, Fix, FixSafety, Position

BAD = textwrap.dedent(
    """\
    import time


    async def poll():
        time.sleep(1)
    """
)

# Runs the command in-process and writes the LibCST modules it imported, so
# the test can check whether a run loaded LibCST.
PROBE = textwrap.dedent(
    """\
    import json, sys
    from asynclint.cli import main

    code = main(sys.argv[2:])
    modules = sorted(name for name in sys.modules if name == "libcst" or name.startswith("libcst."))
    with open(sys.argv[1], "w") as stream:
        json.dump({"code": code, "libcst": modules}, stream)
    """
)


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asynclint", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def probe(*arguments: str, cwd: Path) -> dict:
    report = cwd / "probe.json"
    subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *arguments], cwd=cwd, capture_output=True, timeout=120, check=True
    )
    return json.loads(report.read_text())


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'sample'\n")
    source = tmp_path / "src"
    source.mkdir()
    (source / "bad.py").write_text(BAD)
    (source / "clean.py").write_text("async def main():\n    return 1\n")
    return tmp_path


def entries(folder: Path) -> list[Path]:
    """Return the per-file result entries, leaving out the module summaries."""
    return sorted(path for path in folder.rglob("*.json") if "summaries" not in path.relative_to(folder).parts)


def test_warm_run_repeats_cold_output(project):
    cold = run_cli("src", cwd=project)
    warm = run_cli("src", cwd=project)

    assert cold.returncode == 1
    assert warm.returncode == cold.returncode
    assert warm.stdout == cold.stdout
    assert "AIO201" in warm.stdout


def test_cache_folder_at_project_root(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")

    run_cli(str(project / "src" / "bad.py"), cwd=elsewhere)

    assert (project / CACHE_FOLDER).is_dir()
    assert not (elsewhere / CACHE_FOLDER).exists()
    assert len(entries(project / CACHE_FOLDER)) == 1


def test_cache_folder_ignored_by_git(project):
    run_cli("src", cwd=project)

    assert (project / CACHE_FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (project / CACHE_FOLDER / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_default_cache_dir_without_project_uses_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root_markers = [folder for folder in [tmp_path, *tmp_path.parents] if (folder / ".git").exists() or (folder / "pyproject.toml").exists()]
    if root_markers:
        pytest.skip("a folder above the temporary folder holds a project marker")

    assert default_cache_dir(["missing/file.py"]) == str(tmp_path / CACHE_FOLDER)


def test_cache_dir_option(project, tmp_path_factory):
    chosen = tmp_path_factory.mktemp("chosen")

    run_cli("src", "--cache-dir", str(chosen), cwd=project)

    assert len(entries(chosen)) == 2
    assert not (project / CACHE_FOLDER).exists()


def test_no_cache_writes_nothing(project):
    result = run_cli("src", "--no-cache", cwd=project)

    assert result.returncode == 1
    assert not (project / CACHE_FOLDER).exists()


def test_warm_run_does_not_import_libcst(project):
    cold = probe("src", cwd=project)
    warm = probe("src", cwd=project)

    assert cold["libcst"], "the cold run must parse, or this test proves nothing"
    assert warm["code"] == 1
    assert warm["libcst"] == []


def test_no_cache_run_imports_libcst(project):
    probe("src", cwd=project)

    assert probe("src", "--no-cache", cwd=project)["libcst"]


def test_changed_file_is_linted_again(project):
    run_cli("src", cwd=project)
    (project / "src" / "bad.py").write_text(BAD.replace("time.sleep(1)", "pass"))

    result = run_cli("src", cwd=project)

    assert result.returncode == 0
    assert "AIO201" not in result.stdout


def test_other_selection_is_not_answered_by_cache(project):
    run_cli("src", cwd=project)

    result = run_cli("src", "--select", "AIO1", cwd=project)

    assert result.returncode == 0
    assert "AIO201" not in result.stdout


DAMAGE = {
    "empty": b"",
    "invalid-json": b"{not json",
    "binary": b"\xff\xfe\x00",
    "list": b"[]",
    "missing-keys": b'{"format": 1}',
    "null": b"null",
}


def test_damaged_entries_are_rebuilt(project, monkeypatch):
    monkeypatch.chdir(project)
    names = [*DAMAGE, "truncated"]
    for name in names:
        (project / "src" / f"{name}.py").write_text(BAD)
    cold = run_cli("src", cwd=project)
    cache = ResultCache(str(project / CACHE_FOLDER))
    key = entries(project / CACHE_FOLDER)[0].parent.parent.name
    for name in names:
        entry = Path(cache.entry_path(key, f"src/{name}.py"))
        entry.write_bytes(entry.read_bytes()[:20] if name == "truncated" else DAMAGE[name])

    warm = run_cli("src", cwd=project)

    assert warm.returncode == cold.returncode
    assert warm.stdout == cold.stdout
    assert warm.stderr == ""
    # NOTE: editing asynclint's source between the two runs changes the key,
    # and then the warm run writes a new folder; the check below would fail.
    for name in names:
        assert cache.lookup(key, f"src/{name}.py") is not None, name


def test_entry_with_wrong_field_types_is_a_miss(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(BAD)
    cache = ResultCache(str(tmp_path / "cache"))
    cache.store("key", str(source), source.read_bytes(), [])
    entry = Path(cache.entry_path("key", str(source)))
    data = json.loads(entry.read_text())
    data["diagnostics"] = [["AIO201", "blocking-sleep", "message", str(source), ["1", 0], [1, 0], None]]
    entry.write_text(json.dumps(data))

    assert cache.lookup("key", str(source)) is None


def test_unreadable_entry_is_ignored(project):
    cold = run_cli("src", cwd=project)
    for entry in entries(project / CACHE_FOLDER):
        entry.unlink()
        entry.mkdir()

    warm = run_cli("src", cwd=project)

    assert warm.returncode == cold.returncode
    assert warm.stdout == cold.stdout


def test_read_only_cache_folder_is_not_an_error(project, tmp_path_factory):
    blocked = tmp_path_factory.mktemp("blocked") / "file"
    blocked.write_text("a file where the cache folder should be")

    result = run_cli("src", "--cache-dir", str(blocked), cwd=project)

    assert result.returncode == 1
    assert "AIO201" in result.stdout
    assert result.stderr == ""


def test_fix_ignores_cached_result_of_file_it_rewrites(project):
    run_cli("src", cwd=project)

    fixed = run_cli("src", "--fix", cwd=project)

    assert fixed.returncode == 0
    assert "await asyncio.sleep(1)" in (project / "src" / "bad.py").read_text()


def test_fix_stores_results_of_fixed_file(project):
    run_cli("src", "--fix", cwd=project)

    after = probe("src", cwd=project)

    assert after["code"] == 0
    assert after["libcst"] == []


def test_diff_is_shown_for_cached_file(project):
    run_cli("src", cwd=project)

    diff = run_cli("src", "--diff", cwd=project)

    assert "+    await asyncio.sleep(1)" in diff.stdout
    assert "time.sleep(1)" in (project / "src" / "bad.py").read_text()


def test_diagnostics_round_trip(tmp_path):
    source = tmp_path / "a.py"
    source.write_bytes(b"x = 1\n")
    fix = Fix("Use the async call", FixSafety.UNSAFE, (Edit(Position(1, 0), Position(1, 5), "y = 2 \u00e9"),))
    found = [
        Diagnostic("AIO201", "blocking-sleep", "message \u2192 advice", str(source), Position(1, 0), Position(1, 5), fix),
        Diagnostic("AIO001", "syntax-error", "cannot parse", str(source), Position(3, 2), Position(3, 2)),
    ]
    cache = ResultCache(str(tmp_path / "cache"))
    cache.store("key", str(source), source.read_bytes(), found)

    restored = cache.lookup("key", str(source))

    assert restored == found
    assert [d.fix for d in restored] == [fix, None]


def test_lookup_misses_for_other_bytes_and_key(tmp_path):
    source = tmp_path / "a.py"
    source.write_bytes(b"x = 1\n")
    cache = ResultCache(str(tmp_path / "cache"))
    cache.store("key", str(source), source.read_bytes(), [])

    assert cache.lookup("key", str(source)) == []
    assert cache.lookup("other", str(source)) is None
    source.write_bytes(b"x = 2\n")
    assert cache.lookup("key", str(source)) is None


KEY_SCRIPT = textwrap.dedent(
    """\
    from asynclint.cache import settings_key
    from asynclint.catalogue import BlockingCall
    from asynclint.config import Settings

    settings = Settings(
        codes=frozenset({"AIO101", "AIO201", "AIO301", "AIO003"}),
        per_file_ignores=(("tests/*", frozenset({"AIO201", "AIO202"})),),
        extra_blocking_calls=(BlockingCall("sdk.fetch", "http"),),
    )
    print(settings_key(settings))
    """
)


def test_settings_key_same_in_every_process():
    keys = {
        subprocess.run(
            [sys.executable, "-c", KEY_SCRIPT], env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout
        for seed in ("1", "2", "3")
    }

    assert len(keys) == 1


def test_settings_key_changes_with_settings_and_source(monkeypatch):
    base = settings_key({"codes": frozenset({"AIO201"})})

    assert settings_key({"codes": frozenset({"AIO202"})}) != base
    assert settings_key({"codes": frozenset({"AIO201"})}, {"pkg.module": "abc"}) != base
    monkeypatch.setattr(cache_module, "_SOURCE_FINGERPRINT", "edited")
    assert settings_key({"codes": frozenset({"AIO201"})}) != base


def test_canonical_rejects_unknown_values():
    with pytest.raises(TypeError):
        canonical(object())


def _hammer(directory: str, path: str, message: str, rounds: int) -> None:
    cache = ResultCache(directory)
    with open(path, "rb") as stream:
        data = stream.read()
    finding = Diagnostic("AIO201", "blocking-sleep", message * 2000, path, Position(1, 0), Position(1, 1))
    for _ in range(rounds):
        cache.store("key", path, data, [finding])


def test_concurrent_writers_never_leave_partial_entry(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    directory = str(tmp_path / "cache")
    cache = ResultCache(directory)
    cache.store("key", str(source), source.read_bytes(), [])
    entry = Path(cache.entry_path("key", str(source)))

    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_hammer, args=(directory, str(source), word, 300)) for word in ("first", "second")]
    for writer in writers:
        writer.start()
    while any(writer.is_alive() for writer in writers):
        found = cache.lookup("key", str(source))
        assert found is not None, f"a reader saw a partial entry: {entry.read_bytes()[:80]!r}"
    for writer in writers:
        writer.join()

    assert [writer.exitcode for writer in writers] == [0, 0]
    assert {d.message[:6] for d in cache.lookup("key", str(source))} <= {"firstf", "second"}
    assert not [name for name in os.listdir(entry.parent) if name.startswith(".tmp-")]


def test_code_table_matches_rules():
    from asynclint.codes import RULE_CODES, registry_mismatch
    from asynclint.rules import ALL_RULES

    assert RULE_CODES == {rule.code: rule.name for rule in ALL_RULES}
    assert registry_mismatch(dict(RULE_CODES)) is None


def test_code_table_mismatch_explained():
    from asynclint.codes import RULE_CODES, registry_mismatch

    extra = registry_mismatch({**RULE_CODES, "AIO999": "new-rule"})
    missing = registry_mismatch({code: name for code, name in RULE_CODES.items() if code != "AIO101"})

    assert "add 'AIO999': 'new-rule' to RULE_CODES" in extra
    assert "remove 'AIO101' from RULE_CODES" in missing
