"""Citizen ID numbers (公民身份号码, GB 11643-1999): 6-digit area, 8-digit birth date, 3-digit
sequence and an ISO 7064 MOD 11-2 check character."""

import hmac
from datetime import date
from hashlib import sha256

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_character(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def id_number_problem(number: str) -> str | None:
    """Why `number` is not a valid ID number, or None."""
    n = number.strip().upper()
    if len(n) != 18 or not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X"):
        return "an ID number is 17 digits and a digit or X"
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return f"the birth date {n[6:14]} in the ID number is not a date"
    if born.year < 1900 or born > date.today():
        return f"the birth date {n[6:14]} in the ID number is out of range"
    expected = check_character(n[:17])
    if n[17] != expected:
        return f"the check character of the ID number should be {expected} (GB 11643)"
    return None


def keyed_hash(number: str, secret: str) -> str:
    """The ID number as stored: HMAC-SHA256 under a server secret, so the table alone does
    not give the numbers back (the space of ID numbers is small enough to enumerate)."""
    return hmac.new(secret.encode(), number.strip().upper().encode(), sha256).hexdigest()


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else "*" * len(phone)


def mask_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1) if name else name
