"""JSON edge cases through the Socket.IO event path (`message` → `message-back`).

The server decodes the event payload and re-encodes it for the echo, so every
value below goes through its JSON parser and serializer. The echo must be
valid, strict JSON (no NaN/Infinity, control characters escaped) that means
the same thing; input the server cannot represent must close the connection
cleanly instead of crashing it or producing invalid JSON for other clients.
"""

from __future__ import annotations

import json
import math

import pytest

from sio_helpers import Closed, assert_server_alive, sio_connect_ws


def strict_loads(text: str):
    def reject(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=reject)


def echo(ws_url: str, raw_args: str):
    """Send `42["message",<raw_args>]`; returns the parsed echo args, or None if the server closed."""
    ws, reply, _ = sio_connect_ws(ws_url)
    with ws:
        ws.send('42["message",' + raw_args + "]")
        try:
            got = ws.recv_packet()
        except Closed:
            return None
    assert isinstance(got, str) and got.startswith("42"), got
    decoded = strict_loads(got[2:])  # must be valid JSON
    assert decoded[0] == "message-back", decoded
    return decoded[1:]


ROUNDTRIP = [
    pytest.param('"plain"', "plain", id="string"),
    pytest.param('"\\u0000\\u0001\\u001f\\"\\\\/"', "\x00\x01\x1f\"\\/", id="control-chars-escaped"),
    pytest.param('"\\ud83d\\ude00 é \\u00e9"', "😀 é é", id="surrogate-pair-escape"),
    pytest.param('"😀\u2028\u2029"', "😀\u2028\u2029", id="raw-astral-and-line-separators"),
    pytest.param("0", 0, id="zero"),
    pytest.param("-0", 0, id="minus-zero"),
    pytest.param("0.1", 0.1, id="point-one"),
    pytest.param("1e300", 1e300, id="big-double"),
    pytest.param("5e-324", 5e-324, id="subnormal"),
    pytest.param("9007199254740993", 9007199254740993, id="above-2^53"),
    pytest.param("-9223372036854775808", -9223372036854775808, id="int64-min"),
    pytest.param("1.0", 1.0, id="one-point-zero"),
    pytest.param("true", True, id="true"),
    pytest.param("null", None, id="null"),
    pytest.param('{"":{"a":[]},"b":{}}', {"": {"a": []}, "b": {}}, id="empty-keys-and-containers"),
    pytest.param(' [ 1 , { "k" : "v" } ] ', [1, {"k": "v"}], id="whitespace"),
]


@pytest.mark.parametrize("raw,expected", ROUNDTRIP)
def test_value_roundtrips(ws_url, raw, expected):
    got = echo(ws_url, raw)
    assert got is not None, f"server closed on valid JSON {raw!r}"
    assert len(got) == 1
    value = got[0]
    if isinstance(expected, float) or isinstance(value, float):
        # numbers may change spelling (1.0 -> 1) but not value
        assert math.isclose(float(value), float(expected), rel_tol=1e-15, abs_tol=0.0), (value, expected)
    elif isinstance(expected, int) and abs(expected) > 2**53:
        # beyond double precision: an exact integer is best, the nearest double is acceptable
        assert value == expected or float(value) == float(expected), (value, expected)
    else:
        assert value == expected


UNREPRESENTABLE = [
    pytest.param("1e400", id="double-overflow"),
    pytest.param("-1e400", id="negative-overflow"),
    pytest.param('"\\ud800"', id="lone-high-surrogate"),
    pytest.param('"\\udc00x"', id="lone-low-surrogate"),
    pytest.param("123456789012345678901234567890", id="huge-integer"),
]


@pytest.mark.parametrize("raw", UNREPRESENTABLE)
def test_unrepresentable_input_is_closed_or_echoed_validly(ws_url, base_url, raw):
    """Either a clean close, or an echo that is still strict JSON (checked in `echo`)."""
    echo(ws_url, raw)
    assert_server_alive(base_url)


INVALID = [
    pytest.param("01", id="leading-zero"),
    pytest.param("1.", id="dangling-point"),
    pytest.param(".5", id="leading-point"),
    pytest.param("+1", id="plus-sign"),
    pytest.param("NaN", id="nan"),
    pytest.param("Infinity", id="infinity"),
    pytest.param("'single'", id="single-quotes"),
    pytest.param('"tab\there"', id="raw-control-char-in-string"),
    pytest.param('"\\x41"', id="bad-escape"),
    pytest.param('"\\u12"', id="short-unicode-escape"),
    pytest.param('{"a":1,}', id="trailing-comma-object"),
    pytest.param("[1,]", id="trailing-comma-array"),
    pytest.param('{"a" 1}', id="missing-colon"),
    pytest.param("{a:1}", id="unquoted-key"),
    pytest.param('"unterminated', id="unterminated-string"),
    pytest.param("tru", id="truncated-literal"),
    pytest.param("1 2", id="two-values"),
]


@pytest.mark.parametrize("raw", INVALID)
def test_invalid_json_closes(ws_url, base_url, raw):
    assert echo(ws_url, raw) is None, f"server accepted invalid JSON {raw!r}"
    assert_server_alive(base_url)


def nested_depth(value) -> int:
    d = 1
    while isinstance(value, list) and value:
        value, d = value[0], d + 1
    return d


def test_moderate_nesting_roundtrips(ws_url):
    """Ordinary payloads nest a few dozen levels at most; those must pass."""
    depth = 30
    got = echo(ws_url, "[" * depth + "]" * depth)
    assert got is not None, f"server refused nesting depth {depth}"
    assert nested_depth(got[0]) == depth


@pytest.mark.parametrize("depth", [100, 10_000, 100_000])
def test_deep_nesting_does_not_crash(ws_url, base_url, depth):
    """Deeply nested arrays (within maxPayload): a recursive parser must not
    overflow its stack. Either echoed (still strict JSON) or closed (the
    library documents a depth limit of 64)."""
    got = echo(ws_url, "[" * depth + "]" * depth)
    if got is not None:
        assert nested_depth(got[0]) == depth
    assert_server_alive(base_url)


def test_deep_nesting_objects_does_not_crash(ws_url, base_url):
    depth = 50_000
    echo(ws_url, '{"a":' * depth + "1" + "}" * depth)
    assert_server_alive(base_url)


def test_many_arguments(ws_url):
    args = list(range(10_000))
    got = echo(ws_url, ",".join(map(str, args)))
    assert got == args
