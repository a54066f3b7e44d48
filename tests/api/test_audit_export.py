"""An auditor's export carries the SHA-256 of its own content, recomputable by anyone, in
JSON and in CSV; only auditors and admin may export; a bad format is a 422."""

import csv
import hashlib
import io
import json

from tests.support import Api


def test_exports_carry_a_digest_of_their_content(api: Api) -> None:
    case = api.report()
    api.act("intake", api.task("intake", case["id"])["id"], "reject", comment="信息不全")
    wf = case["workflow_id"]

    answer = api.get(f"/audit/{wf}/export", "auditor", params={"format": "json"})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    canonical = json.dumps(doc["content"], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode()
    assert doc["sha256"] == hashlib.sha256(canonical).hexdigest()
    assert answer.headers["digest-sha256"] == doc["sha256"]
    assert doc["content"]["workflow_id"] == wf and doc["content"]["process"] == "incident"
    assert ("intake", "reject") in {(e["actor"], e["action"]) for e in doc["content"]["entries"]}
    doc["content"]["entries"][0]["actor"] = "someone_else"  # a changed copy no longer matches
    changed = json.dumps(doc["content"], sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False).encode()
    assert hashlib.sha256(changed).hexdigest() != doc["sha256"]

    answer = api.get(f"/audit/{wf}/export", "admin", params={"format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    body, _, last = answer.content.rstrip(b"\n").rpartition(b"\n")
    body += b"\n"  # the digest covers every byte before its own line
    assert last == b"# sha256=" + hashlib.sha256(body).hexdigest().encode()
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0][:2] == ["workflow_id", wf] and rows[1][:3] == ["at", "event", "actor"]
    assert any(r[2] == "intake" and r[5] == "reject" for r in rows[2:])


def test_only_auditors_export_and_formats_are_checked(api: Api) -> None:
    case = api.report()
    wf = case["workflow_id"]
    assert api.get(f"/audit/{wf}/export", "intake").status_code == 403
    assert api.get(f"/audit/{wf}/export", "auditor",
                   params={"format": "xml"}).status_code == 422
    assert api.get("/audit/incident-nope/export", "auditor").status_code == 404
