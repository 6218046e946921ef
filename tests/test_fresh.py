"""A function called in a new Python (:mod:`bnnbook.bench.fresh`): arguments and result
as JSON, environment variables added, and a failure that says what failed and why."""

from __future__ import annotations

import os

import pytest

from bnnbook.bench import fresh


def test_a_function_runs_in_a_new_python_with_json_arguments_and_result():
    assert fresh.call("math:comb", 5, 2) == 10
    assert fresh.call("os:getpid") != os.getpid()  # another process
    assert fresh.call("builtins:sorted", [3, 1, 2]) == [1, 2, 3]


def test_only_the_last_printed_line_is_the_result():
    # print() returns None: its own output comes first, the result ("null") last
    assert fresh.call("builtins:print", "not the result") is None


def test_variables_are_added_to_this_process_environment(monkeypatch):
    monkeypatch.setenv("BNNBOOK_TEST_INHERITED", "here")
    env = {"BNNBOOK_TEST_ADDED": "added"}
    assert fresh.call("os:getenv", "BNNBOOK_TEST_ADDED", env=env) == "added"
    assert fresh.call("os:getenv", "BNNBOOK_TEST_INHERITED", env=env) == "here"
    assert "BNNBOOK_TEST_ADDED" not in os.environ


def test_a_failure_names_the_function_and_ends_with_its_error():
    with pytest.raises(RuntimeError) as error:
        fresh.call("math:sqrt", -1)
    message = str(error.value)
    assert message.startswith("math:sqrt failed in a new Python:\n")
    assert message.rstrip().endswith("ValueError: math domain error")
    with pytest.raises(RuntimeError, match="(?s)no_such_module.*ModuleNotFoundError"):
        fresh.call("bnnbook.no_such_module:f")
