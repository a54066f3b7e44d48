"""Photos: uploaded once, referred to as `media:` ids on a case, served to their uploader and
district staff only; what is not an image, or too large, is refused."""

import io

from PIL import Image

from domain.limits import MAX_MEDIA_BYTES
from tests.support import Api


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


def test_a_photo_goes_with_a_report_and_only_to_who_may_see_it(api: Api) -> None:
    data = png("blue")
    answer = api.post("/media", "citizen", files={"file": ("p.png", data, "image/png")})
    assert answer.status_code == 201, answer.text
    ref = answer.json()["ref"]
    assert ref.startswith("media:") and ref.endswith(".png")
    again = api.post("/media", "citizen", files={"file": ("q.png", data, "image/png")})
    assert again.json()["ref"] == ref  # the same bytes, the same reference

    case = api.report(photos=[ref])
    name = ref.removeprefix("media:")
    assert api.get(f"/media/{name}", "citizen").content == data
    assert api.get(f"/media/{name}", "intake").content == data  # staff
    assert api.get(f"/media/{name}", "resident_1").status_code == 404  # another citizen
    assert api.get(f"/media/{name}", "rider_1").status_code == 404
    staff = api.get(f"/incidents/{case['id']}", "intake").json()
    assert ref in staff["reports"][0]["photos"]


def test_what_is_not_a_photo_or_too_large_is_refused(api: Api) -> None:
    text = api.post("/media", "citizen", files={"file": ("a.png", b"<svg/>", "image/png")})
    assert text.status_code == 422 and "JPEG" in text.json()["detail"]
    big = b"\x89PNG\r\n\x1a\n" + b"0" * MAX_MEDIA_BYTES
    assert api.post("/media", "citizen",
                    files={"file": ("b.png", big, "image/png")}).status_code == 413
    assert api.get("/media/" + "0" * 64 + ".png", "intake").status_code == 404
    assert api.get("/media/../../etc/passwd", "intake").status_code in (404, 422)
    assert api.post("/media", "ai_camera",
                    files={"file": ("p.png", png(), "image/png")}).status_code == 403
