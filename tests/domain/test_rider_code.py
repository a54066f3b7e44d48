"""惠新码 codes: a code decodes by hand with standard libraries and verifies with the public
key alone; every refusal reason comes from its case; no character of a code can be changed
and still let anyone in; the payload holds no personal data; a PNG decodes back to the text."""

import io
import zlib
from datetime import UTC, datetime, timedelta

import base45
import cbor2
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image

import gate_verifier as gate
from domain.rider_code import jwk, new_key, qr_png, qr_svg, sign_code, sign_document

# A gate's scanner reads QR codes only: a reader of every format now and then finds a
# spurious 1D code among a QR's modules.
QR = zxingcpp.BarcodeFormat.QRCode

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
KEY, OLD = new_key(), new_key()
TRUST = [jwk(KEY.public_key(), "k2026"),
         jwk(OLD.public_key(), "k2025") | {"retired_at": (NOW - timedelta(seconds=60))
                                           .isoformat()}]


def code(pass_id: str = "P1", scope: object = "district", key=KEY, kid: str = "k2026",
         at: datetime = NOW, lifetime: int = 120) -> str:
    return sign_code(pass_id, scope, key, kid, at, lifetime)  # type: ignore[arg-type]


def check(text: str, community: str = "rongcheng", at: datetime = NOW, **kw) -> gate.Verdict:
    return gate.verify(text, TRUST, community=community, now=at, **kw)


def test_a_code_decodes_by_hand_and_verifies_with_the_public_key() -> None:
    text = code(scope=["rongcheng"])
    assert text.startswith("HXM1:")
    tagged = cbor2.loads(zlib.decompress(base45.b45decode(text[5:])))
    assert tagged.tag == 18  # COSE_Sign1
    protected, _unprotected, payload, signature = tagged.value
    assert cbor2.loads(protected) == {1: -8, 4: b"k2026"}  # alg EdDSA, kid
    x = gate.unb64url(TRUST[0]["x"])
    Ed25519PublicKey.from_public_bytes(x).verify(
        signature, cbor2.dumps(["Signature1", protected, b"", payload]))
    claims = cbor2.loads(payload)
    assert set(claims) == {1, 4, 6, 7, -70001, -70002}  # iss exp iat cti, pass id, scope
    assert claims[1] == "ddk.gov.cn" and claims[4] - claims[6] == 120
    assert (claims[-70001], claims[-70002]) == ("P1", ["rongcheng"])
    assert check(text).allowed


def test_each_code_is_unique_and_short_lived() -> None:
    a, b = code(), code()
    assert a != b and check(a).cti != check(b).cti
    assert code(lifetime=600) and check(code(lifetime=600)).exp == int(NOW.timestamp()) + 120


def test_the_jwk_has_rfc_8037_shape() -> None:
    key = TRUST[0]
    assert (key["kty"], key["crv"], key["kid"]) == ("OKP", "Ed25519", "k2026")
    assert len(gate.unb64url(key["x"])) == 32 and "=" not in key["x"]
    assert "d" not in key  # never the private part


@pytest.mark.parametrize(("reason", "make", "options"), [
    ("bad_format", lambda: "HXM1:not base45!", {}),
    ("bad_format", lambda: "HC1:" + code()[5:], {}),
    ("unknown_key", lambda: code(key=new_key(), kid="k-unknown"), {}),
    ("bad_signature", lambda: code(key=new_key(), kid="k2026"), {}),  # forged with another key
    ("retired_key", lambda: code(key=OLD, kid="k2025"), {}),  # issued after retirement
    ("expired", lambda: code(at=NOW - timedelta(seconds=121)), {}),
    ("not_yet_valid", lambda: code(at=NOW + timedelta(minutes=5), lifetime=60), {}),
    ("suspended", code, {"revoked": {"P1": "suspended"}}),
    ("revoked", code, {"revoked": {"P1": "revoked"}}),
    ("pass_expired", code, {"pass_valid_until": {"P1": NOW - timedelta(days=1)}}),
    ("out_of_scope", lambda: code(scope=["baijiayuan"]), {}),
    ("replayed", code, {"used_elsewhere": lambda cti: True}),
])
def test_every_refusal_has_its_reason(reason, make, options) -> None:  # noqa: ANN001
    verdict = check(make(), **options)
    assert (verdict.allowed, verdict.reason) == (False, reason)


def test_a_retired_key_verifies_its_codes_until_they_expire() -> None:
    before = code(key=OLD, kid="k2025", at=NOW - timedelta(seconds=90))
    assert check(before).allowed  # issued before it retired, still within its 120 s
    later = NOW + timedelta(seconds=61)  # past retired_at + 120 s: the key itself is refused
    assert check(before, at=later).reason == "retired_key"
    naive = [TRUST[1] | {"retired_at": (NOW - timedelta(seconds=60)).replace(tzinfo=None)
                         .isoformat()}]  # SQLite's naive times are UTC
    assert gate.verify(before, naive, community="x", now=NOW).allowed


def test_a_set_of_used_ctis_catches_a_replay_offline() -> None:
    text = code()
    seen = {check(text).cti}
    assert check(text, used_elsewhere=seen.__contains__).reason == "replayed"
    assert check(code(), used_elsewhere=seen.__contains__).allowed


BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def test_no_changed_character_lets_anyone_in() -> None:
    """Every position, to every other Base45 character (the prefix included)."""
    text = code()
    for i, ch in enumerate(text):
        for other in BASE45.replace(ch, ""):
            verdict = check(text[:i] + other + text[i + 1:])
            assert not verdict.allowed, (i, other)
            assert verdict.reason in ("bad_format", "bad_signature", "unknown_key"), (i, other)


def test_a_code_with_deflate_padding_bits_set_is_refused() -> None:
    """Deflate pads its last byte with bits no decoder reads; a changed Base45 character can
    set them (CI found one at random), so the verifier refuses set padding bits."""
    for _ in range(100):  # about 7 codes in 8 end with padding
        text = code()
        raw = bytearray(base45.b45decode(text[5:]))
        raw[-5] ^= 0x80  # the top bit of the last deflate byte, before the Adler-32
        try:
            same = zlib.decompress(bytes(raw)) == zlib.decompress(base45.b45decode(text[5:]))
        except zlib.error:
            continue
        if same:
            break
    else:
        pytest.fail("no code with padding in 100")
    padded = "HXM1:" + base45.b45encode(bytes(raw)).decode()
    assert padded != text and check(text).allowed
    assert check(padded).reason == "bad_format"


@pytest.mark.parametrize("extra", ["0", "00", "000", "000000"])
def test_characters_appended_to_a_code_are_refused(extra: str) -> None:
    # zlib.decompress ignores trailing bytes; the verifier must not
    assert check(code() + extra).reason == "bad_format"


def test_a_png_decodes_back_to_the_text() -> None:
    text = code(scope=["rongcheng", "baijiayuan"])
    image = Image.open(io.BytesIO(qr_png(text)))
    found = zxingcpp.read_barcodes(image, formats=QR)
    assert [r.text for r in found] == [text]
    assert qr_svg(text).lstrip().startswith("<")


def test_a_signed_document_verifies_and_a_tampered_one_does_not() -> None:
    doc = sign_document({"revoked": {"P1": "revoked"}, "since": 0}, KEY, "k2026")
    assert gate.verify_document(doc, TRUST) == {"revoked": {"P1": "revoked"}, "since": 0}
    forged = sign_document({"revoked": {}}, new_key(), "k2026")
    with pytest.raises(ValueError):
        gate.verify_document(forged, TRUST)
    with pytest.raises(ValueError):  # a key the gate does not trust
        gate.verify_document(sign_document({"revoked": {}}, new_key(), "k-other"), TRUST)


def test_no_changed_or_appended_character_passes_in_a_signed_document() -> None:
    doc = sign_document({"revoked": {"P1": "revoked"}, "since": 0}, KEY, "k2026")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    tampered = [doc[:i] + other + doc[i + 1:] for i, ch in enumerate(doc)
                for other in alphabet.replace(ch, "")]
    for text in [*tampered, doc + "A", doc + "AA", doc + "AAAA", doc + "=="]:
        with pytest.raises(ValueError):
            gate.verify_document(text, TRUST)


def test_a_document_with_an_edited_payload_is_refused() -> None:
    doc = sign_document({"revoked": {"P1": "revoked"}}, KEY, "k2026")
    tag = cbor2.loads(gate.unb64url(doc))
    protected, unprotected, _payload, signature = tag.value
    edited = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected,
                                            cbor2.dumps({"revoked": {}}), signature]))
    with pytest.raises(ValueError):
        gate.verify_document(gate.b64url(edited), TRUST)
