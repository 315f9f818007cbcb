"""The ``cfg.*`` RPC methods, with Kamailio 5.6's names and result shapes.

Differences from Kamailio, all on the side of telling the caller more:

* a bad group, variable or value is a 400 fault whose message names it and says why
  (Kamailio: "Failed to set the variable", or silently storing 0 for "notanint");
  the value stays as it was;
* ``cfg.diff`` returns every staged change as an array (Kamailio's JSON-RPC keeps
  only the last one);
* ``cfg.help`` returns one string: the description (with default and range) and,
  on its last line, Kamailio's ``(parameter type is integer|string)``, which is all
  Kamailio's JSON-RPC returns;
* ``cfg.get GROUP`` returns every variable (Kamailio skips some), ``cfg.get`` and
  ``cfg.list`` of an unknown group are faults (Kamailio: ``{}`` / ``[]``);
* ``cfg.save`` (kamproxy only) writes the runtime changes to the overrides file.
"""

from __future__ import annotations

from typing import Any

from proxy.cfg.model import CfgError, Value, Var, describe, parse_int
from proxy.cfg.params import Params
from proxy.cfg.persist import Overrides
from proxy.cfg.staging import Staging
from rpc.errors import RpcFault
from rpc.registry import Registry

BAD_INPUT = 400  #: Kamailio's code for every cfg_rpc fault about the input
FAILED = 500


def fault(method: str, exc: CfgError | str) -> RpcFault:
    return RpcFault(BAD_INPUT, f"{method}: {exc}")


def help_text(var: Var) -> str:
    """cfg.help's answer: description, default/range, then Kamailio's type line."""
    facts = [f"default {var.default!r}" if var.kind == "str" else f"default {var.default}"]
    if var.range_text():
        facts.append(f"range {var.range_text()}" if not var.choices else var.range_text())
    if var.unit:
        facts.append(f"unit {var.unit}")
    if var.read_only:
        facts.append("read-only at run time")
    return f"{var.help} ({'; '.join(facts)})\n(parameter type is {var.type_word})"


class CfgMethods:
    """cfg.get/set*/commit/rollback/diff/help/list/reset/save over one Params."""

    def __init__(
        self, params: Params, staging: Staging | None = None, overrides: Overrides | None = None
    ) -> None:
        self.params = params
        self.staging = staging if staging is not None else Staging(params)
        self.overrides = overrides

    def register(self, registry: Registry) -> None:
        r = registry.register
        r(
            "cfg.get",
            self.get_value,
            "Get the value of a configuration variable, or of every "
            "variable of a group: cfg.get group [var].",
        )
        r("cfg.seti", self.seti, "Set an integer value now: cfg.seti group var int.")
        r("cfg.set_now_int", self.set_now_int, "Set an integer value now (same as cfg.seti).")
        r("cfg.sets", self.sets, "Set a string value now: cfg.sets group var string.")
        r("cfg.set_now_string", self.set_now_string, "Set a string value now (as cfg.sets).")
        r("cfg.set", self.set_any, "Set a value now; the input may be an integer or a string.")
        r(
            "cfg.set_delayed_int",
            self.set_delayed_int,
            "Stage an integer value; it takes effect at cfg.commit.",
        )
        r(
            "cfg.set_delayed_string",
            self.set_delayed_string,
            "Stage a string value; it takes effect at cfg.commit.",
        )
        r(
            "cfg.set_delayed",
            self.set_delayed,
            "Stage an integer or string value; it takes effect at cfg.commit.",
        )
        r("cfg.commit", self.commit, "Apply every staged change at once.")
        r("cfg.rollback", self.rollback, "Drop every staged change.")
        r("cfg.diff", self.diff, "List the staged changes: group, variable, old and new value.")
        r("cfg.help", self.help_var, "Describe a configuration variable and give its type.")
        r("cfg.list", self.list_vars, "List the configuration variables, of one group or all.")
        r("cfg.reset", self.reset, "Set every variable of a group back to its start-up value.")
        r(
            "cfg.save",
            self.save,
            "Write the runtime changes to the overrides file "
            "(kamproxy; needs [core] cfg_overrides).",
        )

    # -- reading --------------------------------------------------------------

    def get_value(self, group: str, var: Any = None) -> Any:
        try:
            if var is None:
                return self.params.values(group)
            name = self._name("cfg.get", var)
            self.params.lookup(group, name)
            return self.params.get(group, name)
        except CfgError as exc:
            raise fault("cfg.get", exc) from None

    def help_var(self, group: str, var: str) -> str:
        try:
            return help_text(self.params.lookup(group, var))
        except CfgError as exc:
            raise fault("cfg.help", exc) from None

    def list_vars(self, group: Any = None) -> list[str]:
        try:
            if group is None:
                groups = self.params.groups()
            else:
                groups = [self.params.group(self._name("cfg.list", group, "group name"))]
        except CfgError as exc:
            raise fault("cfg.list", exc) from None
        return [f"{g.name}: {v.name}" for g in groups for v in g]

    def diff(self) -> list[dict[str, Any]]:
        return self.staging.diff()

    # -- changing now ---------------------------------------------------------

    def seti(self, group: str, var: str, value: Any) -> None:
        self._set_now("cfg.seti", group, var, self._int_input("cfg.seti", group, var, value))

    def set_now_int(self, group: str, var: str, value: Any) -> None:
        self._set_now(
            "cfg.set_now_int", group, var, self._int_input("cfg.set_now_int", group, var, value)
        )

    def sets(self, group: str, var: str, value: Any) -> None:
        self._set_now("cfg.sets", group, var, self._str_input("cfg.sets", group, var, value))

    def set_now_string(self, group: str, var: str, value: Any) -> None:
        self._set_now(
            "cfg.set_now_string",
            group,
            var,
            self._str_input("cfg.set_now_string", group, var, value),
        )

    def set_any(self, group: str, var: str, value: Any) -> None:
        self._set_now("cfg.set", group, var, self._any_input("cfg.set", group, var, value))

    def reset(self, group: str) -> None:
        try:
            self.params.reset(group)
        except CfgError as exc:
            raise fault("cfg.reset", exc) from None

    # -- staged changes -------------------------------------------------------

    def set_delayed_int(self, group: str, var: str, value: Any) -> None:
        method = "cfg.set_delayed_int"
        self._stage(method, group, var, self._int_input(method, group, var, value))

    def set_delayed_string(self, group: str, var: str, value: Any) -> None:
        method = "cfg.set_delayed_string"
        self._stage(method, group, var, self._str_input(method, group, var, value))

    def set_delayed(self, group: str, var: str, value: Any) -> None:
        method = "cfg.set_delayed"
        self._stage(method, group, var, self._any_input(method, group, var, value))

    def commit(self) -> None:
        self.staging.commit()

    def rollback(self) -> None:
        self.staging.rollback()

    # -- persistence ----------------------------------------------------------

    def save(self) -> dict[str, Any]:
        if self.overrides is None:
            raise RpcFault(
                FAILED,
                'cfg.save: saving is off; set [core] cfg_overrides = "FILE" in the config '
                "file (or start kamproxy with --cfg-overrides FILE)",
            )
        try:
            saved = self.overrides.save(self.params)
        except CfgError as exc:
            raise RpcFault(FAILED, f"cfg.save: {exc}") from None
        return {"file": str(self.overrides.path), "saved": saved}

    # -- helpers --------------------------------------------------------------

    @staticmethod
    def _name(method: str, value: Any, what: str = "variable name") -> str:
        if not isinstance(value, str):
            raise fault(method, f"the {what} must be a string, got {describe(value)}")
        return value

    def _lookup(self, method: str, group: str, var: str) -> Var:
        try:
            return self.params.lookup(group, var)
        except CfgError as exc:
            raise fault(method, exc) from None

    def _int_input(self, method: str, group: str, var: str, value: Any) -> Value:
        """An integer input (a number or decimal text), whatever the var's type."""
        decl = self._lookup(method, group, var)
        number = parse_int(value)
        if number is None:
            if decl.kind == "int":
                reason = f"{group}.{var} must be an integer, got {describe(value)}"
            else:
                setter = "cfg.sets" if "delayed" not in method else "cfg.set_delayed_string"
                reason = (
                    f"the value must be an integer, got {describe(value)} "
                    f"({group}.{var} is a string variable: use {setter})"
                )
            raise fault(method, reason)
        return number

    def _str_input(self, method: str, group: str, var: str, value: Any) -> Value:
        """A string input (numbers are taken as their decimal text, as Kamailio does)."""
        self._lookup(method, group, var)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise fault(method, f"the value must be a string, got {describe(value)}")
        return value

    def _any_input(self, method: str, group: str, var: str, value: Any) -> Value:
        self._lookup(method, group, var)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise fault(method, f"the value must be an integer or a string, got {describe(value)}")
        return value

    def _set_now(self, method: str, group: str, var: str, value: Value) -> None:
        try:
            self.params.set(group, var, value, source=method)
        except CfgError as exc:
            raise fault(method, exc) from None

    def _stage(self, method: str, group: str, var: str, value: Value) -> None:
        try:
            self.staging.stage(group, var, value)
        except CfgError as exc:
            raise fault(method, exc) from None
