"""``[tool.asynclint]`` in pyproject.toml, ``--config``, and the settings they produce."""

from __future__ import annotations

import configparser
import pickle
import re
import textwrap
from pathlib import Path

import pytest

from asynclint.config import ConfigError, FileConfig, Overrides, load_config, parse_table, resolve
from asynclint.catalogue import BlockingCall
from asynclint.config import tomllib

from .test_cli import BAD, CLEAN, run_cli, write

SDK_CALL = textwrap.dedent(
    """\
    import mysdk


    async def refresh():
        return mysdk.fetch_prices("prices")
    """
)

# os.makedirs() in a coroutine has only an unsafe fix (moving it to a thread).
MAKEDIRS = 'import os\n\n\nasync def prepare():\n    os.makedirs("out")\n'


def pyproject(folder, body):
    return write(folder, "pyproject.toml", "[project]\nname = 'demo'\n\n[tool.asynclint]\n" + textwrap.dedent(body))


def test_ignore_in_pyproject(tmp_path):
    pyproject(tmp_path, 'ignore = ["AIO201"]\n')
    write(tmp_path, "bad.py", BAD)

    result = run_cli("bad.py", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout == "No errors found.\n"


def test_config_found_from_subfolder(tmp_path):
    pyproject(tmp_path, 'ignore = ["AIO2"]\n')
    write(tmp_path, "src/pkg/bad.py", BAD)

    result = run_cli("bad.py", cwd=tmp_path / "src" / "pkg")

    assert result.returncode == 0


def test_nearest_config_wins(tmp_path):
    pyproject(tmp_path, 'ignore = ["AIO201"]\n')
    pyproject(tmp_path / "service", 'select = ["AIO2"]\n')
    write(tmp_path, "top.py", BAD)
    write(tmp_path, "service/inner.py", BAD)

    result = run_cli(".", cwd=tmp_path)

    assert result.returncode == 1
    assert "inner.py:5:5: AIO201" in result.stdout
    assert "top.py" not in result.stdout


def test_pyproject_without_table_is_skipped(tmp_path):
    pyproject(tmp_path, 'ignore = ["AIO201"]\n')
    write(tmp_path, "sub/pyproject.toml", "[project]\nname = 'inner'\n")
    write(tmp_path, "sub/bad.py", BAD)

    result = run_cli("sub/bad.py", cwd=tmp_path)

    assert result.returncode == 0


def test_command_line_select_overrides_file(tmp_path):
    pyproject(tmp_path, 'ignore = ["AIO201"]\n')
    write(tmp_path, "bad.py", BAD)

    result = run_cli("--select", "AIO201", "bad.py", cwd=tmp_path)

    assert result.returncode == 1
    assert "AIO201" in result.stdout


def test_extend_select_enables_unused_noqa(tmp_path):
    pyproject(tmp_path, 'extend-select = ["AIO002"]\n')
    write(tmp_path, "ok.py", "x = 1  # noqa: AIO201\n")

    result = run_cli("ok.py", cwd=tmp_path)

    assert result.returncode == 1
    assert "ok.py:1:8: AIO002" in result.stdout


def test_per_file_ignores(tmp_path):
    pyproject(tmp_path, '[tool.asynclint.per-file-ignores]\n"tests/*" = ["AIO201"]\n"scripts/*.py" = ["AIO2"]\n')
    write(tmp_path, "tests/test_x.py", BAD)
    write(tmp_path, "scripts/job.py", BAD)
    write(tmp_path, "app.py", BAD)

    result = run_cli(".", cwd=tmp_path)

    assert result.returncode == 1
    assert "app.py:5:5: AIO201" in result.stdout
    assert "tests/test_x.py" not in result.stdout
    assert "scripts/job.py" not in result.stdout


def test_exclude_and_extend_exclude(tmp_path):
    pyproject(tmp_path, 'exclude = ["generated"]\nextend-exclude = ["*_pb2.py"]\n')
    write(tmp_path, "generated/models.py", BAD)
    write(tmp_path, "api_pb2.py", BAD)
    write(tmp_path, "app.py", BAD)

    result = run_cli(".", cwd=tmp_path)

    assert "app.py" in result.stdout
    assert "generated" not in result.stdout
    assert "api_pb2.py" not in result.stdout


def test_named_file_excluded_only_with_force_exclude(tmp_path):
    pyproject(tmp_path, 'exclude = ["generated"]\n')
    write(tmp_path, "generated/models.py", BAD)

    plain = run_cli("generated/models.py", cwd=tmp_path)
    forced = run_cli("--force-exclude", "generated/models.py", cwd=tmp_path)

    assert plain.returncode == 1
    assert forced.returncode == 0


def test_unsafe_fixes_from_file(tmp_path):
    pyproject(tmp_path, "unsafe-fixes = true\n")
    path = write(tmp_path, "io.py", MAKEDIRS)

    result = run_cli("--fix", "io.py", cwd=tmp_path)

    assert "asyncio.to_thread" in path.read_text(encoding="utf-8")
    assert "fixed" in result.stdout


def test_no_unsafe_fixes_overrides_file(tmp_path):
    pyproject(tmp_path, "unsafe-fixes = true\n")
    path = write(tmp_path, "io.py", MAKEDIRS)

    run_cli("--fix", "--no-unsafe-fixes", "io.py", cwd=tmp_path)

    assert path.read_text(encoding="utf-8") == MAKEDIRS


def test_extra_blocking_calls_reported(tmp_path):
    pyproject(
        tmp_path,
        """\
        [tool.asynclint.extra-blocking-calls]
        "mysdk.fetch_prices" = { category = "http", replacement = "mysdk.aio.fetch_prices" }
        "mysdk.wait" = "sleep"
        """,
    )
    write(tmp_path, "sdk.py", SDK_CALL)

    result = run_cli("sdk.py", cwd=tmp_path)

    assert result.returncode == 1
    assert "sdk.py:5:12: AIO202" in result.stdout
    assert "use mysdk.aio.fetch_prices" in result.stdout


def test_extra_blocking_calls_absent_without_config(tmp_path):
    write(tmp_path, "sdk.py", SDK_CALL)

    result = run_cli("sdk.py", cwd=tmp_path)

    assert result.returncode == 0


def test_config_option_names_file(tmp_path):
    write(tmp_path, "strict.toml", 'select = ["AIO201"]\n')
    write(tmp_path, "io.py", "async def load():\n    return open('x').read()\n")
    write(tmp_path, "bad.py", BAD)

    result = run_cli("--config", "strict.toml", ".", cwd=tmp_path)

    assert "bad.py:5:5: AIO201" in result.stdout
    assert "AIO203" not in result.stdout


def test_missing_config_file_exits_two(tmp_path):
    result = run_cli("--config", "absent.toml", ".", cwd=tmp_path)

    assert result.returncode == 2
    assert "absent.toml" in result.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('selct = ["AIO201"]\n', ["unknown key 'selct'", "accepted keys: select, ignore"]),
        ('select = "AIO201"\n', ["select must be a list of codes", "str"]),
        ('ignore = ["AIO999"]\n', ["ignore", "'AIO999' matches no rule code", "known codes: AIO001"]),
        ("unsafe-fixes = 1\n", ["unsafe-fixes must be a boolean"]),
        ('[tool.asynclint.per-file-ignores]\n"tests/*" = "AIO201"\n', ["per-file-ignores 'tests/*' must be a list of codes"]),
        ('[tool.asynclint.per-file-ignores]\n"tests/*" = ["XYZ1"]\n', ["'XYZ1' matches no rule code"]),
        ('[tool.asynclint.extra-blocking-calls]\n"mysdk.fetch" = "network"\n', ["category must be one of sleep, http, file"]),
        ('[tool.asynclint.extra-blocking-calls]\n"mysdk.fetch" = { category = "http", speed = 1 }\n', ["unknown key 'speed'", "accepted keys: category, replacement"]),
        ('[tool.asynclint.extra-blocking-calls]\n"fetch" = "http"\n', ["must be a dotted qualified name"]),
        ("select = [\n", ["invalid TOML"]),
    ],
    ids=["unknown-key", "wrong-type", "unknown-code", "not-boolean", "pfi-type", "pfi-code", "category", "call-key", "bare-name", "toml"],
)
def test_invalid_config_exits_two(tmp_path, body, expected):
    pyproject(tmp_path, body)
    write(tmp_path, "ok.py", CLEAN)

    result = run_cli("ok.py", cwd=tmp_path)

    assert result.returncode == 2
    assert "pyproject.toml" in result.stderr
    for fragment in expected:
        assert fragment in result.stderr


def test_settings_hashable_and_picklable(tmp_path):
    path = pyproject(
        tmp_path,
        'ignore = ["AIO1"]\n[tool.asynclint.per-file-ignores]\n"t/*" = ["AIO2"]\n'
        '[tool.asynclint.extra-blocking-calls]\n"mysdk.wait" = "sleep"\n',
    )
    settings = resolve(load_config(str(path)), Overrides())

    copy = pickle.loads(pickle.dumps(settings))

    assert copy == settings
    assert hash(copy) == hash(settings)
    assert copy.lint_options.catalogue.calls["mysdk.wait"] == BlockingCall("mysdk.wait", "sleep")


def test_settings_differ_when_extra_calls_differ():
    first = resolve(parse_table({"extra-blocking-calls": {"a.b": "sleep"}}, "p.toml"), Overrides())
    second = resolve(parse_table({"extra-blocking-calls": {"a.b": "http"}}, "p.toml"), Overrides())

    assert first != second


def test_default_settings_leave_unused_noqa_off():
    settings = resolve(FileConfig(), Overrides())

    assert "AIO002" not in settings.codes
    assert "AIO201" in settings.codes


def test_unknown_key_raises_config_error():
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        parse_table({"colour": True}, "pyproject.toml")


def test_extra_method_on_declared_class(tmp_path):
    pyproject(tmp_path, '[tool.asynclint.extra-blocking-calls]\n"mysdk.Client.fetch" = "http"\n')
    write(
        tmp_path,
        "client.py",
        "import mysdk\n\n\nasync def built():\n    client = mysdk.Client()\n    return client.fetch(1)\n\n\n"
        "async def annotated(client: mysdk.Client):\n    return client.fetch(2)\n\n\n"
        "async def unrelated(other):\n    return other.fetch(3)\n",
    )

    result = run_cli("--quiet", "client.py", cwd=tmp_path)

    assert [line.split(" ")[:2] for line in result.stdout.splitlines()] == [
        ["client.py:6:12:", "AIO202"],
        ["client.py:10:12:", "AIO202"],
    ]


def fenced_blocks(language: str) -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_documented_pyproject_table_is_valid():
    blocks = fenced_blocks("toml")

    assert blocks, "docs/integrations.md has no toml example"
    for block in blocks:
        config = parse_table(tomllib.loads(block)["tool"]["asynclint"], "docs/integrations.md")
        assert config.extra_blocking_calls


def test_documented_flake8_option_is_valid():
    from asynclint.flake8_plugin import parse_option_rows

    parser = configparser.ConfigParser()
    parser.read_string(fenced_blocks("ini")[0])

    rows = parse_option_rows(parser["flake8"]["asynclint-extra-blocking-calls"])
    assert [row.name for row in rows] == ["mysdk.fetch_prices", "mysdk.wait"]
    assert rows[0].replacement == "await mysdk.aio.fetch_prices()"


def test_stdin_uses_settings_of_name(tmp_path):
    pyproject(tmp_path, '[tool.asynclint.per-file-ignores]\n"tests/*" = ["AIO201"]\n')

    ignored = run_cli("--stdin-filename", "tests/test_poll.py", cwd=tmp_path, stdin=BAD)
    reported = run_cli("--stdin-filename", "src/poll.py", cwd=tmp_path, stdin=BAD)

    assert ignored.returncode == 0
    assert reported.returncode == 1
    assert "src/poll.py:5:5: AIO201" in reported.stdout
