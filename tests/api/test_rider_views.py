"""惠新码 as the console reads it, over HTTP: the code card (text and QR image of one code) and
a pass's history (review tasks and actions), each read only by who may read the pass."""

import base64
import io

import zxingcpp
from PIL import Image

from domain.id_number import check_character
from tests.support import Api

# A gate's scanner reads QR codes only: a reader of every format now and then finds a
# spurious 1D code among a QR's modules.
QR = zxingcpp.BarcodeFormat.QRCode

ID_BASE = "50010419880712345"  # a person no other test uses
ID = ID_BASE + check_character(ID_BASE)


def test_code_card_and_history(api: Api) -> None:
    r = api.post("/rider-passes", "rider_3", json={
        "name": "李四", "phone": "13912340000", "id_number": ID, "platform": "eleme",
        "platform_rider_id": "ELE-3", "photo": "https://files.example.cn/riders/li.jpg"})
    assert r.status_code == 201, r.text
    pass_id = r.json()["id"]
    assert api.get("/rider-passes/me/code-card", "rider_3").status_code == 409  # reviewing
    assert api.get("/rider-passes/me/code-card", "guard_rongcheng").status_code == 403

    task = api.task("union_reviewer", pass_id, "审核惠新码")
    assert api.act("union_reviewer", task["id"], "approve").status_code == 200
    Api.eventually(lambda: api.get(f"/rider-passes/{pass_id}", "rider_3")
                   .json()["status"] == "active")

    card = api.get("/rider-passes/me/code-card", "rider_3")
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["code"].startswith("HXM1:") and body["media_type"] == "image/png"
    assert body["expires_at"].endswith("+08:00")
    image = Image.open(io.BytesIO(base64.b64decode(body["image"])))
    assert [b.text for b in zxingcpp.read_barcodes(image, formats=QR)] == [body["code"]]
    svg = api.get("/rider-passes/me/code-card", "rider_3", params={"format": "svg"}).json()
    assert base64.b64decode(svg["image"]).lstrip().startswith(b"<")
    r = api.post("/gates/baijiayuan-east/scans", "guard_baijiayuan", json={"code": body["code"]})
    assert r.json()["allowed"] is True, r.text

    path = f"/rider-passes/{pass_id}/actions"
    r = api.post(path, "union_reviewer", json={"action": "suspend", "reason": "核查投诉"})
    assert r.status_code == 200, r.text
    history = api.get(f"/rider-passes/{pass_id}/history", "union_worker")
    assert history.status_code == 200, history.text
    seen = history.json()
    assert [(t["step"], t["decision"]) for t in seen["tasks"]] == [("审核惠新码", "approve")]
    assert [(e["action_name"], e["reason"]) for e in seen["events"]] == [
        ("审核通过", None), ("暂停", "核查投诉")]
    assert api.get(f"/rider-passes/{pass_id}/history", "rider_3").status_code == 200
    for other in ("rider_2", "citizen", "guard_baijiayuan"):
        assert api.get(f"/rider-passes/{pass_id}/history", other).status_code == 404
    assert api.post(path, "rider_3", json={"action": "cancel", "reason": "换工作"}) \
        .status_code == 200
