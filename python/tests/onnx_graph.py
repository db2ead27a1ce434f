"""Reads an ONNX file's graph (node op types, inputs, outputs; graph outputs) without the onnx package."""

from cnn_slicer.onnx_names import _varint


def _fields(data):
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, at = _varint(data, at)
        elif kind == 1:
            value, at = data[at : at + 8], at + 8
        elif kind == 2:
            length, at = _varint(data, at)
            value, at = data[at : at + length], at + length
        elif kind == 5:
            value, at = data[at : at + 4], at + 4
        else:
            raise ValueError(f"wire type {kind}")
        yield number, value


def read_graph(path):
    """{"nodes": [(op_type, [inputs], [outputs])], "outputs": [names], "inputs": [names]} of an ONNX model file."""
    with open(path, "rb") as f:
        model = f.read()
    graph = next(value for number, value in _fields(model) if number == 7)
    nodes, outputs, inputs = [], [], []
    for number, value in _fields(graph):
        if number == 1:
            node = {"in": [], "out": [], "op": None}
            for n, v in _fields(value):
                if n == 1:
                    node["in"].append(v.decode())
                elif n == 2:
                    node["out"].append(v.decode())
                elif n == 4:
                    node["op"] = v.decode()
            nodes.append((node["op"], node["in"], node["out"]))
        elif number in (11, 12):
            name = next(v.decode() for n, v in _fields(value) if n == 1)
            (inputs if number == 11 else outputs).append(name)
    return {"nodes": nodes, "outputs": outputs, "inputs": inputs}


def producers(graph):
    """Output value name -> op type of the node that produces it."""
    return {out: op for op, _, outs in graph["nodes"] for out in outs}
