"""Undoing a feed body's Content-Encoding in a stream, never past the size cap.

Why not httpx's own decoders: they inflate each chunk that arrives in full, and a 64 KB
chunk of a gzip bomb inflates to 64 MB before any cap can look at it (a 10 GB bomb cost
178 MB of memory before it was refused). zlib's ``max_length`` bounds each step's output,
so memory stays near the cap whatever the ratio.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

# What we can undo with the standard library; asked for explicitly so a server never
# chooses an encoding (br, zstd) we would have to refuse.
ACCEPT_ENCODING = "gzip, deflate"


class TooLarge(ValueError):
    """The body, once decoded, is larger than the cap."""


class UnknownEncoding(ValueError):
    """The server used a Content-Encoding we did not ask for."""


def _inflater(encoding: str, first: bytes) -> zlib._Decompress:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    # "deflate" is a zlib stream by the standard, raw deflate by some servers' habit.
    zlib_header = (
        len(first) >= 2 and (first[0] & 0x0F) == 8 and (first[0] << 8 | first[1]) % 31 == 0
    )
    return zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)


def decoded(raw: Iterable[bytes], content_encoding: str | None, cap: int) -> Iterator[bytes]:
    """The body's bytes with its encoding undone, raising ``TooLarge`` as soon as more than
    ``cap`` bytes would come out. Gzip bodies of several members are read to their end."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        size = 0
        for chunk in raw:
            size += len(chunk)
            if size > cap:
                raise TooLarge(size)
            yield chunk
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise UnknownEncoding(encoding)
    inflater: zlib._Decompress | None = None
    members = 0
    left = cap
    for chunk in raw:
        pending = chunk
        while pending:
            fresh = inflater is None
            if inflater is None:
                inflater = _inflater(encoding, pending)
            try:
                # One more byte than is left tells "exactly the cap" from "over it".
                out = inflater.decompress(pending, left + 1)
            except zlib.error as error:
                if members and fresh:
                    return  # bytes after the last gzip member, which readers ignore
                raise ValueError(f"the {encoding} body is damaged ({error})") from None
            left -= len(out)
            if left < 0:
                raise TooLarge(cap - left)
            if out:
                yield out
            if inflater.eof:
                pending = inflater.unused_data  # the next gzip member, if any
                inflater = None
                members += 1
            else:
                pending = inflater.unconsumed_tail
    if inflater is not None:
        rest = inflater.flush()
        if len(rest) > left:
            raise TooLarge(cap - left + len(rest))
        if rest:
            yield rest
