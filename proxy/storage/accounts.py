"""Subscriber identities: ``user[@domain]`` split and checked before anything is stored.

Kamailio's kamctl stores whatever it is given (a space splits the name, a quote breaks
the SQL). We accept:

* a user made of RFC 3261 ``user`` characters: letters, digits, ``-_.!~*'()``,
  ``&=+$,;?/`` and ``%XX`` escapes, at most 64 characters (the column's size);
* a domain that is a host name (RFC 3261 ``hostname``: dot-separated labels of
  letters, digits and inner hyphens, the last label starting with a letter), an IPv4
  address or a bracketed IPv6 address, at most 64 characters. Host names are case
  insensitive, so the domain is stored in lower case (it is also the digest realm).

Every failure is an :class:`AccountError` whose message says what is wrong and never
contains a password.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_LENGTH = 64
_USER_CHARS = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;?/]")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\Z")
_ALLOWED_USER = "letters, digits, - _ . ! ~ * ' ( ) & = + $ , ; ? / and %XX escapes"


class AccountError(ValueError):
    """A user, domain or password that cannot be stored; the message says why."""


@dataclass(frozen=True)
class Account:
    user: str
    domain: str

    def __str__(self) -> str:
        return f"{self.user}@{self.domain}"


def split(text: str) -> tuple[str, str | None]:
    """``user@domain`` -> (user, domain); a bare ``user`` -> (user, None)."""
    if text.count("@") > 1:
        raise AccountError(f"bad user {text!r}: more than one '@'")
    user, at, domain = text.partition("@")
    if at and not domain:
        raise AccountError(f"bad user {text!r}: nothing after '@' (write user@domain)")
    return user, (domain if at else None)


def check_user(user: str) -> str:
    """``user`` when it is a valid SIP user part."""
    if not user:
        raise AccountError("empty user name")
    if len(user) > MAX_LENGTH:
        raise AccountError(f"user name too long ({len(user)} characters; at most {MAX_LENGTH} fit)")
    i = 0
    while i < len(user):
        char = user[i]
        if char == "%":
            if not _ESCAPE.match(user, i):
                raise AccountError(f"bad user name {user!r}: '%' must start an escape like %40")
            i += 3
            continue
        if not _USER_CHARS.match(char):
            shown = (
                repr(char)
                if char.isprintable() and char != " "
                else f"{char!r} (U+{ord(char):04X})"
            )
            raise AccountError(
                f"bad user name {user!r}: {shown} is not allowed in a SIP user name "
                f"(allowed: {_ALLOWED_USER})"
            )
        i += 1
    return user


def check_domain(domain: str) -> str:
    """``domain`` (lower-cased) when it is a host name or an IP address."""
    if not domain:
        raise AccountError("empty domain")
    if len(domain) > MAX_LENGTH:
        raise AccountError(f"domain too long ({len(domain)} characters; at most {MAX_LENGTH} fit)")
    if domain.startswith("["):
        if not domain.endswith("]"):
            raise AccountError(f"bad domain {domain!r}: unterminated '['")
        try:
            ipaddress.IPv6Address(domain[1:-1])
        except ValueError:
            raise AccountError(f"bad domain {domain!r}: not an IPv6 address") from None
        return domain.lower()
    if ":" in domain:
        try:
            ipaddress.IPv6Address(domain)
        except ValueError:
            raise AccountError(
                f"bad domain {domain!r}: ':' is not allowed (no port in a domain)"
            ) from None
        raise AccountError(f"bad domain {domain!r}: write an IPv6 address in brackets: [{domain}]")
    labels = domain.split(".")
    if all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(domain)
        except ValueError:
            raise AccountError(f"bad domain {domain!r}: not a valid IPv4 address") from None
        return domain
    for label in labels:
        if not label:
            raise AccountError(f"bad domain {domain!r}: empty label (two dots, or a dot at an end)")
        if not _LABEL.match(label):
            raise AccountError(
                f"bad domain {domain!r}: label {label!r} is not letters, digits and inner hyphens"
            )
    if not labels[-1][0].isalpha():
        raise AccountError(
            f"bad domain {domain!r}: the last label must start with a letter "
            "(or give an IP address)"
        )
    return domain.lower()


def check_password(password: str) -> str:
    """``password`` when it can be used; the message never shows it."""
    if password == "":
        raise AccountError("empty password refused")
    if "\x00" in password or "\n" in password or "\r" in password:
        raise AccountError("the password contains a control character (NUL, CR or LF)")
    return password


def parse(text: str, default_domain: str | None = None) -> Account:
    """``user[@domain]`` checked; a bare user takes ``default_domain``."""
    user, domain = split(text)
    check_user(user)
    if domain is None:
        if not default_domain:
            raise AccountError(
                f"no domain for {text!r}: write {text}@DOMAIN or set a default domain "
                "(SIP_DOMAIN in kamctlrc or the environment)"
            )
        domain = default_domain
    return Account(user, check_domain(domain))
