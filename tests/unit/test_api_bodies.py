"""The API's answers are written once, as compact UTF-8 JSON, whatever a payload holds."""

from __future__ import annotations

import json

from agentcron.api.bodies import as_json


def test_an_answer_is_compact_utf8_json_with_its_status_and_headers() -> None:
    answer = as_json({"title": "Café à 8 h", "n": [1, 2.5, None]}, 201, {"ETag": '"3"'})
    assert answer.body == '{"title":"Café à 8 h","n":[1,2.5,null]}'.encode()
    assert (answer.status_code, answer.headers["etag"]) == (201, '"3"')
    assert answer.headers["content-type"] == "application/json"


def test_an_integer_past_64_bits_in_a_payload_is_still_written() -> None:
    body = {"payload": {"huge": 10**30, "small": -(2**70)}}
    assert json.loads(as_json(body).body) == body
