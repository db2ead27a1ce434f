"""Where a module of a model is constructed in the user's source, found with ``ast``.

The rule, for a module at path ``a.b.c`` (named_modules()):
  1. ``c`` an attribute: the assignment ``self.c = ...`` in the class of ``a.b`` (or a base class),
     in any method; where there are several, the one whose call names the module's class
     (``nn.Conv2d(...)`` for a Conv2d), else the first. The position is that of the value.
  2. ``c`` an index into an ``nn.Sequential(...)`` / ``nn.ModuleList([...])``: the entry at that
     index of the call that builds ``a.b`` (found by these same rules); when the call is
     ``nn.Sequential(*layers)`` and ``layers`` is filled by ``layers.append(X(...))`` /
     ``layers += [X(...)]`` in the same function, the one such line that builds the module's class
     when there is exactly one; when ``a.b`` is the result of a helper method
     (``self._make_layer(...)``) or of a function of the same file (``conv_bn(3, 32, 2)``), its
     ``return nn.Sequential(...)``. Only a ``Sequential(...)`` / ``ModuleList(...)`` call lists entries.
  3. Otherwise the construction of the nearest enclosing module that has one (the line that builds
     that Sequential).
A root ``nn.Sequential`` model is looked up in the script being run (``__main__``): its one
``Sequential(...)`` call with as many positional entries as the model has children.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional, Tuple, Union, cast

import ast
import inspect
import os
import sys
import weakref

import torch.nn as nn

from .notebook import cell_files_newest_first, class_cell_file, compiled_text

_CONTAINERS = (nn.Sequential, nn.ModuleList)

# A class's (file, ClassDef), or (None, None) where its source is not found.
ClassNode = Tuple[Optional[str], Optional[ast.ClassDef]]
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]

_trees: dict[str, ast.Module | None] = {}


def _tree(file: str) -> ast.Module | None:
    """The parsed source of a file, or of a notebook cell the kernel compiled under that name; None if unreadable."""
    if file not in _trees:
        try:
            text = compiled_text(file)
            if text is None:
                with open(file, encoding="utf-8") as f:
                    text = f.read()
            _trees[file] = ast.parse(text, file)
        except (OSError, SyntaxError, ValueError):
            _trees[file] = None
    return _trees[file]


# class -> (file, ClassDef): inspect.getsourcelines parses the class's whole file at each call (1.3 s
# of a 136-layer model's Recorder(...), its 82 modules of 8 classes looked up one by one).
_class_nodes: weakref.WeakKeyDictionary[type, ClassNode] = weakref.WeakKeyDictionary()


def _class_node(cls: type) -> ClassNode:
    """(file, ClassDef) of a class, or (None, None); found once per class."""
    try:
        return _class_nodes[cls]
    except (KeyError, TypeError):
        pass
    found = _find_class_node(cls)
    try:
        _class_nodes[cls] = found
    except TypeError:  # a class that takes no weak reference is looked up each time
        pass
    return found


def _find_class_node(cls: type) -> ClassNode:
    try:
        source = inspect.getsourcefile(cls)
        if source is None:
            raise TypeError(f"no source file for {cls}")
        file = os.path.abspath(source)
        _, start = inspect.getsourcelines(cls)
    except (TypeError, OSError):
        return _cell_class_node(cls)
    tree = _tree(file)
    if tree is None:
        return None, None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first == start or node.lineno == start:
                return file, node
    return None, None


def _cell_class_node(cls: type) -> ClassNode:
    """(cell file, ClassDef) of a class defined in a notebook cell: the definition of that name in the
    cell its methods were compiled in (the last one, as the cell ran), or (None, None)."""
    file = class_cell_file(cls)
    tree = _tree(file) if file is not None else None
    if tree is None:
        return None, None
    found = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls.__name__]
    return (file, max(found, key=lambda n: n.lineno)) if found else (None, None)


def _callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


_parent_maps: dict[int, dict[ast.AST, ast.AST]] = {}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Child node -> parent node of a parsed file (kept per tree)."""
    if id(tree) not in _parent_maps:
        parents = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        _parent_maps[id(tree)] = parents
    return _parent_maps[id(tree)]


class Site:
    """An expression node that builds a module, in a file, inside a function (or None)."""

    def __init__(self, file: str, node: ast.expr, function: Function | None, owner_cls: type | None = None) -> None:
        self.file, self.node, self.function, self.owner_cls = file, node, function, owner_cls

    def position(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.node.lineno, "column": self.node.col_offset + 1}


def _enclosing_function(tree: ast.AST | None, node: ast.AST) -> Function | None:
    if tree is None:
        return None
    parents = _parents(tree)
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def _user_classes(owner: nn.Module) -> Iterator[tuple[type, str, ast.ClassDef]]:
    """(class, file, class node) of `owner`'s class and its bases outside torch, in method resolution order; those whose source is found."""
    for cls in type(owner).__mro__:
        if cls in (nn.Module, object) or cls.__module__.startswith("torch."):
            continue
        file, class_node = _class_node(cls)
        if file is not None and class_node is not None:
            yield cls, file, class_node


def _attribute_site(owner: nn.Module, attr: str, child: nn.Module) -> Site | None:
    """Rule 1: `self.<attr> = ...` in the owner's class or a base class."""
    want = type(child).__name__
    for cls, file, class_node in _user_classes(owner):
        found = []
        for node in ast.walk(class_node):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr == attr and isinstance(target.value, ast.Name) and target.value.id == "self":
                        if node.value is not None:
                            found.append(node.value)
        if not found:
            continue
        calls = [v for v in found if isinstance(v, ast.Call) and _callee_name(v) == want]
        if isinstance(child, _CONTAINERS) and calls:
            # `self.shortcut = nn.Sequential()` then `self.shortcut = nn.Sequential(conv, bn)`: the one with its entries.
            entries = len(list(child.children()))
            calls = [c for c in calls if len(c.args) == entries] or sorted(calls, key=lambda c: -len(c.args))
        value = calls[0] if calls else found[0]
        return Site(file, value, _enclosing_function(_tree(file), value), cls)
    return None


def _returned_call(function: Function) -> ast.Call | None:
    """The `return <call>` of a function node, or None."""
    for ret in ast.walk(function):
        if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Call):
            return ret.value
    return None


def _helper_return(site: Site, owner: nn.Module | None) -> Site | None:
    """A helper's `return <call>`, as a site: a method's for `self._helper(...)` (`_make_layer`), a
    function's of the same file for `helper(...)` (MobileNet's `conv_bn(inp, oup, stride)`)."""
    call = site.node
    if not isinstance(call, ast.Call):
        return None
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        if owner is None:
            return None
        for cls, file, class_node in _user_classes(owner):
            for node in class_node.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == func.attr:
                    returned = _returned_call(node)
                    if returned is not None:
                        return Site(file, returned, node, cls)
        return None
    if isinstance(func, ast.Name):
        tree = _tree(site.file)
        for node in tree.body if tree is not None else []:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == func.id:
                returned = _returned_call(node)
                if returned is not None:
                    return Site(site.file, returned, node)
    return None


def _entry_site(site: Site, index: int, child: nn.Module) -> Site | None:
    """Rule 2: entry `index` of the Sequential/ModuleList call at `site`."""
    call = site.node
    # Only a container's own construction lists its entries: the arguments of any other call (a
    # helper's `conv_bn(3, 32, 2)`, a subclass's `ConvBNReLU(…)`) are not modules.
    if not isinstance(call, ast.Call) or _callee_name(call) not in ("Sequential", "ModuleList"):
        return None
    args = call.args
    if len(args) == 1 and isinstance(args[0], (ast.List, ast.Tuple)):  # ModuleList([...]) / Sequential(*[...]) forms
        args = args[0].elts
    if not any(isinstance(a, ast.Starred) for a in args[: index + 1]) and index < len(args):
        return Site(site.file, args[index], site.function, site.owner_cls)
    starred = [a for a in args if isinstance(a, ast.Starred) and isinstance(a.value, ast.Name)]
    if len(starred) == 1 and site.function is not None:
        name = cast(ast.Name, starred[0].value).id
        want = type(child).__name__
        builds: list[ast.Call] = []
        for node in ast.walk(site.function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "extend", "insert"):
                if isinstance(node.func.value, ast.Name) and node.func.value.id == name:
                    builds.extend(n for n in ast.walk(node) if isinstance(n, ast.Call) and n is not node)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
                builds.extend(n for n in ast.walk(node.value) if isinstance(n, ast.Call))
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                builds.extend(n for n in ast.walk(node.value) if isinstance(n, ast.Call))
        matching = [n for n in builds if _callee_name(n) == want]
        if len(matching) == 1:
            return Site(site.file, matching[0], site.function, site.owner_cls)
    return None


def _root_sequential_site(model: nn.Module) -> Site | None:
    """The one call that builds a root ``nn.Sequential``: in the script being run, or in the newest
    notebook cell (of a kernel) that has one."""
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    if file:
        return _sequential_call(model, os.path.abspath(file))
    for cell in cell_files_newest_first():
        site = _sequential_call(model, cell)
        if site is not None:
            return site
    return None


def _sequential_call(model: nn.Module, file: str) -> Site | None:
    tree = _tree(file)
    if tree is None:
        return None
    children = len(list(model.children()))
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and _callee_name(n) == type(model).__name__ and len(n.args) == children and not any(isinstance(a, ast.Starred) for a in n.args)
    ]
    if len(calls) != 1:
        return None
    return Site(file, calls[0], _enclosing_function(tree, calls[0]))


class SourceFinder:
    """Construction sites of a model's modules, by module path; each lookup cached."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.modules = dict(model.named_modules())
        self.cache: dict[str, Site | None] = {}

    def site(self, path: str) -> Site | None:
        if path not in self.cache:
            self.cache[path] = self._site(path)
        return self.cache[path]

    def _site(self, path: str) -> Site | None:
        if path == "":
            return _root_sequential_site(self.model) if isinstance(self.model, _CONTAINERS) else None
        parts = path.split(".")
        owner_path, attr = ".".join(parts[:-1]), parts[-1]
        owner, child = self.modules[owner_path], self.modules[path]
        if isinstance(owner, _CONTAINERS) and attr.isdigit():
            owner_site = self.site(owner_path)
            if owner_site is None:
                return None
            owner_parent = self.modules[".".join(owner_path.split(".")[:-1])] if owner_path else None
            helper = _helper_return(owner_site, owner_parent)
            if helper is not None:
                owner_site = helper
            return _entry_site(owner_site, int(attr), child) or owner_site
        return _attribute_site(owner, attr, child) or self.site(owner_path)

    def position(self, path: str) -> dict[str, Any] | None:
        """{file, line, column} of the construction of the module at `path`, or None."""
        site = self.site(path)
        return site.position() if site is not None else None
