"""Issuing 惠新码 codes and signed documents (the verifying side is gate_verifier.py, which
gate devices run alone), and showing a code as a QR image.

Keys are Ed25519; the caller keeps the private half (a file outside the repository and
outside every row the API returns) and publishes the public half as a JWK (RFC 8037).
"""

import io
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime

import base45
import cbor2
import qrcode
import qrcode.image.svg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from gate_verifier import (
    ALG,
    ALG_EDDSA,
    COSE_SIGN1_TAG,
    CTI,
    EXP,
    IAT,
    ISS,
    ISSUER,
    KID,
    MAX_LIFETIME,
    PASS_ID,
    PREFIX,
    SCOPE,
    b64url,
    sig_structure,
)


def _sign1(payload: bytes, key: Ed25519PrivateKey, kid: str) -> bytes:
    protected = cbor2.dumps({ALG: ALG_EDDSA, KID: kid.encode()})
    signature = key.sign(sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


@dataclass(frozen=True)
class CodeClaims:
    """Everything a code says, and nothing personal: the gate looks the rider up by pass id
    (online) or shows only the verdict (offline)."""

    pass_id: str
    scope: str | list[str]  # "district" or community codes
    iat: int
    exp: int
    cti: bytes
    iss: str = ISSUER

    def as_map(self) -> dict[int, object]:
        """The CWT claims map: iss 1, exp 4, iat 6, cti 7 (RFC 8392), pass id -70001 and
        scope -70002 (private, negative so they never clash with registered claims)."""
        return {ISS: self.iss, IAT: self.iat, EXP: self.exp, CTI: self.cti,
                PASS_ID: self.pass_id, SCOPE: self.scope}


def sign_code(pass_id: str, scope: str | list[str], key: Ed25519PrivateKey, kid: str,
              now: datetime, lifetime: int = MAX_LIFETIME) -> str:
    """A fresh code for a pass: valid `lifetime` seconds (at most 120), a unique cti."""
    iat = int(now.timestamp())
    claims = CodeClaims(pass_id, scope, iat, iat + min(lifetime, MAX_LIFETIME),
                        secrets.token_bytes(16))
    compressed = zlib.compress(_sign1(cbor2.dumps(claims.as_map()), key, kid), 9)
    return PREFIX + base45.b45encode(compressed).decode()


def sign_document(payload: dict, key: Ed25519PrivateKey, kid: str) -> str:
    """A signed document (e.g. the revocations list): base64url of a COSE_Sign1."""
    return b64url(_sign1(cbor2.dumps(payload), key, kid))


def jwk(public: Ed25519PublicKey, kid: str) -> dict[str, str]:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid, "alg": "EdDSA",
            "use": "sig"}


def public_x(key: Ed25519PrivateKey) -> str:
    return jwk(key.public_key(), "")["x"]


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def qr_png(text: str) -> bytes:
    """The code as a PNG, error correction Q (a phone screen, a cheap scanner)."""
    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_Q, box_size=8,
                        border=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_svg(text: str) -> str:
    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_Q,
                        image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=4)
    return image.to_string(encoding="unicode")
