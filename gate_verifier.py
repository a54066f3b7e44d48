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
import zlib
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
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """What COSE_Sign1 signs (RFC 9052, 4.4), with no external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def decode(text: str) -> tuple[bytes, dict, bytes, bytes]:
    """(protected bytes, protected header, payload bytes, signature); ValueError if the text
    is not a code."""
    if not text.startswith(PREFIX):
        raise ValueError("no HXM1: prefix")
    raw = zlib.decompress(base45.b45decode(text[len(PREFIX):]))
    obj = cbor2.loads(raw)
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            raise ValueError("not a COSE_Sign1")
        obj = obj.value
    if not (isinstance(obj, list | tuple) and len(obj) == 4):  # cbor2 6 decodes tuples
        raise ValueError("not a COSE_Sign1 array")
    protected, _unprotected, payload, signature = obj
    if not all(isinstance(x, bytes) for x in (protected, payload, signature)):
        raise ValueError("malformed COSE_Sign1")
    header = cbor2.loads(protected)
    if not isinstance(header, dict) or header.get(ALG) != ALG_EDDSA:
        raise ValueError("not an EdDSA signature")
    return protected, header, payload, signature


def _key(jwk: dict) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(unb64url(jwk["x"]))


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value)).timestamp()


def verify(text: str, trust: list[dict], *, community: str, now: datetime | float,
           revoked: dict[str, str] | None = None,
           pass_valid_until: dict[str, datetime] | None = None,
           used_elsewhere: Any = None) -> Verdict:
    """Check a scanned code at a gate of `community`.

    `trust`: JWKs (kty OKP, crv Ed25519, x, kid) with `retired_at` (ISO time or epoch, or
    absent): a retired key still verifies codes issued before it retired until they expire.
    `revoked`: pass id -> "suspended" | "revoked". `pass_valid_until`: pass id -> its end,
    when the gate knows it. `used_elsewhere(cti_hex) -> bool`: whether the code already let
    someone in at another gate."""
    at = now.timestamp() if isinstance(now, datetime) else float(now)
    try:
        protected, header, payload, signature = decode(text.strip())
        claims = cbor2.loads(payload)
        if not isinstance(claims, dict):
            raise ValueError("claims are not a map")
        kid_raw = header.get(KID)
        kid = kid_raw.decode() if isinstance(kid_raw, bytes) else None
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
    if until is not None and at > until.timestamp():
        return _refuse(seen, "pass_expired")
    if scope != DISTRICT and not (isinstance(scope, list) and community in scope):
        return _refuse(seen, "out_of_scope")
    if used_elsewhere is not None and used_elsewhere(cti.hex()):
        return _refuse(seen, "replayed")
    return Verdict(True, None, pass_id, scope, cti.hex(), kid, exp)


def _refuse(seen: Verdict, reason: str) -> Verdict:
    return Verdict(False, reason, seen.pass_id, seen.scope, seen.cti, seen.kid, seen.exp)


def verify_document(text: str, trust: list[dict]) -> dict:
    """A signed document (the revocations list): base64url of a COSE_Sign1 whose payload is
    a CBOR map. Returns the map; ValueError when it is not signed by a trusted key."""
    try:
        raw = cbor2.loads(unb64url(text))
        obj = raw.value if isinstance(raw, cbor2.CBORTag) else raw
        protected, _unprotected, payload, signature = obj
        header = cbor2.loads(protected)
    except Exception as err:  # noqa: BLE001
        raise ValueError("not a signed document") from err
    kid_raw = header.get(KID)
    jwk = next((k for k in trust if isinstance(kid_raw, bytes)
                and k.get("kid") == kid_raw.decode()), None)
    if jwk is None or header.get(ALG) != ALG_EDDSA:
        raise ValueError("the document is not signed by a trusted key")
    try:
        _key(jwk).verify(signature, sig_structure(protected, payload))
    except InvalidSignature as err:
        raise ValueError("the document's signature does not verify") from err
    return cbor2.loads(payload)


def utc_now() -> datetime:
    return datetime.now(UTC)
