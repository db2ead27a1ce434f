"""Renames values in a serialised ONNX model, without the onnx package.

torch's exporter refuses an output name made of digits only (``"2"``, the path of a root
``nn.Sequential``'s third layer), so such layers are exported under a stand-in name and renamed here:
in the graph's node inputs and outputs, its outputs and its value_info. Only the protobuf fields on
that path are decoded and written again; every other byte is kept.
"""

from __future__ import annotations

from typing import Any, Iterator


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(data: bytes) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(number, wire type, raw field bytes including the key, payload of a length-delimited field, else empty)."""
    at = 0
    while at < len(data):
        start = at
        key, at = _varint(data, at)
        number, kind = key >> 3, key & 7
        payload = b""
        if kind == 0:
            _, at = _varint(data, at)
        elif kind == 1:
            at += 8
        elif kind == 2:
            length, at = _varint(data, at)
            payload = data[at : at + length]
            at += length
        elif kind == 5:
            at += 4
        else:
            raise ValueError(f"unexpected protobuf wire type {kind}")
        yield number, kind, data[start:at], payload


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


def _rewrite(data: bytes, plan: dict[Any, Any]) -> bytes:
    """`plan`: field number -> "name" (rename the string) or a nested plan (rewrite the message)."""
    out = bytearray()
    for number, kind, raw, payload in _fields(data):
        rule = plan.get(number) if kind == 2 else None
        if rule is None:
            out += raw
        elif rule == "name":
            out += _bytes_field(number, plan["__names__"].get(payload, payload))
        else:
            out += _bytes_field(number, _rewrite(payload, {**rule, "__names__": plan["__names__"]}))
    return bytes(out)


_NODE = {1: "name", 2: "name"}
_VALUE_INFO = {1: "name"}
_GRAPH = {1: _NODE, 11: _VALUE_INFO, 12: _VALUE_INFO, 13: _VALUE_INFO}
_MODEL = {7: _GRAPH}


def _value_names(data: bytes) -> set[bytes]:
    """Every value name the graph's nodes read or write, and its inputs' and outputs' names."""
    names = set()
    for number, kind, _, graph in _fields(data):
        if number != 7 or kind != 2:
            continue
        for field, kind2, _, message in _fields(graph):
            if kind2 != 2 or field not in (1, 11, 12, 13):
                continue
            for n, k, _, payload in _fields(message):
                if k == 2 and (n in (1, 2) if field == 1 else n == 1):
                    names.add(payload)
    return names


def rename_values(path: str, names: dict[str, str]) -> None:
    """Renames values in the ONNX file at `path`: `names` maps old name -> new name (str)."""
    if not names:
        return
    with open(path, "rb") as f:
        data = f.read()
    table = {old.encode("utf-8"): new.encode("utf-8") for old, new in names.items()}
    taken = _value_names(data) & set(table.values())
    if taken:
        raise ValueError(f"cnn_slicer: the exported graph already has a value named {sorted(taken)[0].decode()}; a layer cannot take that name")
    with open(path, "wb") as f:
        f.write(_rewrite(data, {**_MODEL, "__names__": table}))
