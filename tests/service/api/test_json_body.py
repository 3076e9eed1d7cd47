"""Request bodies with integers too long for Python to parse: read as a power of ten of the same length."""

from __future__ import annotations

import json
import sys

from service.api.json_body import loads


def test_ordinary_json_reads_as_json_loads_does() -> None:
    text = '{"a": [1, -2, 3.5, 12345678901234567890], "b": null, "c": NaN}'
    expected, got = json.loads(text), loads(text)
    assert got["a"] == expected["a"] and got["b"] is None and got["c"] != got["c"]


def test_an_integer_past_the_digit_limit_keeps_its_length_and_sign() -> None:
    digits = sys.get_int_max_str_digits() + 700
    positive = loads(json.dumps({"x": "@"}).replace('"@"', "7" * digits))["x"]
    negative = loads(json.dumps({"x": "@"}).replace('"@"', "-" + "7" * digits))["x"]
    assert positive == 10 ** (digits - 1) and negative == -(10 ** (digits - 1))
    at_limit = "9" * sys.get_int_max_str_digits()
    assert loads(at_limit) == int(at_limit)
