"""jsontext.loads reads what json.loads reads, to the same values, and refuses what it refuses, with its message."""

import json
import math

import pytest

from tracegraph.ingest.jsontext import loads


@pytest.mark.parametrize("text", [
    '[0.25, "o", "line\\r\\n\\u001b[0m"]\n',  # an asciinema event line
    '{"a": 1, "a": 2}',  # the last duplicate key wins in both
    '"\\ud83d\\ude00"',  # an escaped surrogate pair
    '"\\ud800"',  # a lone surrogate: orjson refuses it, json reads it
    "[1e400, -1e400]",  # beyond a double: orjson refuses, json reads infinities
    '  {"x": [true, false, null]}  ',
])
def test_values_equal_json(text):
    assert loads(text) == json.loads(text)


def test_nan_is_read_as_json_reads_it():
    assert math.isnan(loads('{"v": NaN}')["v"])


@pytest.mark.parametrize("text", ['{"a": 1', '[1, 2] 3', "", "\x00junk"])
def test_unreadable_text_raises_jsons_error(text):
    with pytest.raises(json.JSONDecodeError) as ours:
        loads(text)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert (ours.value.msg, ours.value.pos) == (theirs.value.msg, theirs.value.pos)
