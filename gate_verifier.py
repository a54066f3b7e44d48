"""惠新码 gate verifier: checks a rider's code with the trust list and the revocations only.

A gate device runs this module alone (standard library, cbor2, base45 and cryptography; no
project imports), online or offline; the API's scan endpoint runs the same function, so both
answer alike. The code is the EU Digital COVID Certificate's design with a short life:

    "HXM1:" + Base45( zlib( COSE_Sign1( CWT claims ) ) )      (RFC 9285, 9052, 8392)

signed with Ed25519 (alg EdDSA, -8), the key id in the protected header. Claims: iss (1),
exp (4), iat (6), cti (7), and two private ones: the pass id (-70001) and its scope (-70002:
"district" or a list of community codes). No name, phone, ID number or photo.
"""

import base64
import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PREFIX = "HXM1:"
ISSUER = "ddk.gov.cn"
ALG_EDDSA = -8
COSE_SIGN1_TAG = 18
# COSE header labels and CWT claim keys
ALG, KID = 1, 4
ISS, EXP, IAT, CTI = 1, 4, 6, 7
PASS_ID, SCOPE = -70001, -70002
DISTRICT = "district"
MAX_LIFETIME = 120  # seconds from iat to exp
CLOCK_SKEW = 30  # seconds a gate's clock may run behind the issuer's

REASONS = ("bad_format", "bad_signature", "unknown_key", "retired_key", "expired",
           "not_yet_valid", "suspended", "revoked", "pass_expired", "out_of_scope",
           "replayed")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None = None  # one of REASONS when refused
    pass_id: str | None = None
    scope: Any = None
    cti: str | None = None  # hex
    kid: str | None = None
    exp: int | None = None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Strict: only the canonical unpadded form decodes, so no two texts carry one value."""
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    if b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """What COSE_Sign1 signs (RFC 9052, 4.4), with no external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _loads(raw: bytes) -> Any:
    """One CBOR item and nothing after it (cbor2.loads ignores trailing bytes)."""
    stream = io.BytesIO(raw)
    obj = cbor2.CBORDecoder(stream).decode()
    if stream.tell() != len(raw):
        raise ValueError("trailing bytes after the CBOR item")
    return obj


def _inflate_exact(raw: bytes) -> bytes | None:
    """The inflated bytes of exactly one zlib stream, or None."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw)
    except zlib.error:
        return None
    return out if inflater.eof and not inflater.unused_data else None


def _inflate(raw: bytes) -> bytes:
    """zlib, refusing trailing bytes (zlib.decompress ignores them) and set padding bits, so
    no second text carries the same code.

    Deflate pads its last byte to a whole byte with bits no decoder reads; a changed Base45
    character could set them and still decode. A bit is padding when flipping it leaves the
    stream valid with the same output (a read bit changes the output, and the Adler-32 then
    fails); padding sits at the top of the last byte before the 4-byte Adler-32."""
    out = _inflate_exact(raw)
    if out is None:
        raise ValueError("not one whole zlib stream")
    last = len(raw) - 5
    for bit in range(7, -1, -1):
        flipped = bytearray(raw)
        flipped[last] ^= 1 << bit
        if _inflate_exact(bytes(flipped)) != out:
            break  # the first bit a decoder reads: no padding below it
        if raw[last] & (1 << bit):
            raise ValueError("padding bits set in the zlib stream")
    return out


def _sign1(raw: bytes) -> tuple[bytes, dict, bytes, bytes]:
    """Split a tagged COSE_Sign1 (RFC 9052, 4.2) signed with EdDSA; ValueError otherwise."""
    obj = _loads(raw)
    if not isinstance(obj, cbor2.CBORTag) or obj.tag != COSE_SIGN1_TAG:
        raise ValueError("not a tagged COSE_Sign1")
    parts = obj.value
    if not (isinstance(parts, list | tuple) and len(parts) == 4):  # cbor2 6 decodes tuples
        raise ValueError("not a COSE_Sign1 array")
    protected, unprotected, payload, signature = parts
    if not (all(isinstance(x, bytes) for x in (protected, payload, signature))
            and isinstance(unprotected, Mapping)):  # cbor2 6: a frozendict here
        raise ValueError("malformed COSE_Sign1")
    header = _loads(protected)
    if not isinstance(header, dict) or header.get(ALG) != ALG_EDDSA:
        raise ValueError("not an EdDSA signature")
    if not isinstance(header.get(KID), bytes):
        raise ValueError("no key id")
    return protected, header, payload, signature


def decode(text: str) -> tuple[bytes, dict, bytes, bytes]:
    """(protected bytes, protected header, payload bytes, signature); ValueError if the text
    is not a code."""
    if not text.startswith(PREFIX):
        raise ValueError("no HXM1: prefix")
    return _sign1(_inflate(base45.b45decode(text[len(PREFIX):])))


def _key(jwk: dict) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(unb64url(jwk["x"]))


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    # a naive time (SQLite drops the zone) is UTC, never the device's local time
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def verify(text: str, trust: list[dict], *, community: str, now: datetime | float,
           revoked: dict[str, str] | None = None,
           pass_valid_until: dict[str, datetime] | None = None,
           used_elsewhere: Any = None) -> Verdict:
    """Check a scanned code at a gate of `community`.

    `trust`: JWKs (kty OKP, crv Ed25519, x, kid) with `retired_at` (ISO time, naive = UTC,
    or epoch; absent or None while current): a retired key still verifies codes issued
    before it retired until they expire, i.e. up to retired_at + 120 s; a code it signed
    after retiring, or any code after that, is `retired_key`.
    `revoked`: pass id -> "suspended" | "revoked". `pass_valid_until`: pass id -> its end
    (datetime, ISO or epoch), when the gate knows it. `used_elsewhere(cti_hex) -> bool`:
    whether the code already let someone in at another gate (offline, `seen.__contains__`
    of a set of cti hex strings).
    Checks in this order: format, key known, signature, key retired, time, revocation,
    pass expiry, scope, replay; the first that fails is the reason."""
    at = now.timestamp() if isinstance(now, datetime) else float(now)
    try:
        protected, header, payload, signature = decode(text.strip())
        claims = _loads(payload)
        if not isinstance(claims, dict):
            raise ValueError("claims are not a map")
        kid = header[KID].decode()
    except Exception:  # noqa: BLE001  (anything undecodable is the same refusal)
        return Verdict(False, "bad_format")
    jwk = next((k for k in trust if k.get("kid") == kid), None)
    if jwk is None:
        return Verdict(False, "unknown_key", kid=kid)
    try:
        _key(jwk).verify(signature, sig_structure(protected, payload))
    except (InvalidSignature, ValueError):
        return Verdict(False, "bad_signature", kid=kid)
    pass_id, scope = claims.get(PASS_ID), claims.get(SCOPE)
    iat, exp, cti = claims.get(IAT), claims.get(EXP), claims.get(CTI)
    if (claims.get(ISS) != ISSUER or not isinstance(pass_id, str) or not isinstance(iat, int)
            or not isinstance(exp, int) or not isinstance(cti, bytes)
            or not 0 < exp - iat <= MAX_LIFETIME):
        return Verdict(False, "bad_format", kid=kid)
    seen = Verdict(False, None, pass_id, scope, cti.hex(), kid, exp)
    retired = _epoch(jwk.get("retired_at"))
    if retired is not None and (iat > retired or at > retired + MAX_LIFETIME):
        return _refuse(seen, "retired_key")
    if at > exp:
        return _refuse(seen, "expired")
    if iat > at + CLOCK_SKEW:
        return _refuse(seen, "not_yet_valid")
    status = (revoked or {}).get(pass_id)
    if status in ("suspended", "revoked"):
        return _refuse(seen, status)
    until = (pass_valid_until or {}).get(pass_id)
    if until is not None and at > _epoch(until):
        return _refuse(seen, "pass_expired")
    if scope != DISTRICT and not (isinstance(scope, list) and community in scope):
        return _refuse(seen, "out_of_scope")
    if used_elsewhere is not None and used_elsewhere(cti.hex()):
        return _refuse(seen, "replayed")
    return Verdict(True, None, pass_id, scope, cti.hex(), kid, exp)


def _refuse(seen: Verdict, reason: str) -> Verdict:
    return Verdict(False, reason, seen.pass_id, seen.scope, seen.cti, seen.kid, seen.exp)


def verify_document(text: str, trust: list[dict]) -> dict:
    """A signed document (the revocations list): unpadded base64url of a tagged COSE_Sign1
    whose payload is a CBOR map, signed by a key of the trust list. Returns the map;
    ValueError for anything else (bad text, unknown key, bad signature)."""
    try:
        protected, header, payload, signature = _sign1(unb64url(text.strip()))
        kid = header[KID].decode()
    except Exception as err:  # noqa: BLE001  (anything undecodable is the same refusal)
        raise ValueError("not a signed document") from err
    jwk = next((k for k in trust if k.get("kid") == kid), None)
    if jwk is None:
        raise ValueError("the document is not signed by a trusted key")
    try:
        _key(jwk).verify(signature, sig_structure(protected, payload))
        document = _loads(payload)
    except (InvalidSignature, ValueError) as err:
        raise ValueError("the document's signature does not verify") from err
    if not isinstance(document, dict):
        raise ValueError("the document is not a map")
    return document


def utc_now() -> datetime:
    return datetime.now(UTC)
