"""A decision's form, drawn from its data's JSON Schema (the task carries it), and the form's
fields read back into that data. So a new process needs no console code for its tasks."""

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

from domain.departments import DEPARTMENTS

# Labels for fields whose schema has no Chinese description.
FIELD_LABELS = {
    "category_code": "类别编码", "department": "承办部门", "result": "处置结果",
    "photos": "照片", "working_hours": "延期工时（小时）", "until": "延期至",
    "resume_on": "恢复日期", "second_extension": "第二次延期", "text": "陈述内容",
    "record": "记录", "amount": "金额（元）", "officers": "执法人员（用户名）",
    "draw": "双随机抽取", "findings": "检查发现", "officers_present": "在场执法人员",
    "owner": "养犬人（用户名）", "action": "措施", "at": "时间", "place": "地点",
    "participants": "参加人员", "serious": "情节严重", "lines": "争议明细", "reason": "理由",
    "scope": "范围", "points": "积分", "type": "类型", "fine": "罚款（元）", "item": "检查项",
    "legal_basis": "法律依据", "evidence": "证据", "rectify_by": "整改期限",
    "findings.result": "检查结果", "fine_proposed": "拟罚款（元）", "note": "备注",
}
OPTION_LABELS = {
    "compliant": "合规", "violation": "违法", "rectify": "责令整改", "penalty": "立案处罚",
    "fine": "罚款", "warning": "警告", "confiscation": "没收", "suspension": "责令停产停业",
    "revocation": "吊销许可", "none": "不予处罚", "district": "全区", "subject": "主体",
    "facts": "事实", "legal_basis": "法律依据", "discretion": "裁量", "procedure": "程序",
} | DEPARTMENTS
CJK = re.compile(r"[\u4e00-\u9fff]")
MULTIPLE = "multiple"  # a union of shapes: typed as JSON


@dataclass
class Field:
    name: str  # dotted for nested objects: "proposed.fine"
    label: str
    kind: str  # text textarea select multi number integer date datetime checkbox lines json
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""
    default: Any = None
    rows: list[list["Field"]] = field(default_factory=list)  # kind "rows": each item's fields
    item_required: frozenset[str] = frozenset()  # kind "rows": what a started item must have

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return {**root["$defs"][ref.split("/")[-1]], **{k: v for k, v in schema.items()
                                                         if k != "$ref"}}
    return schema


def _label(name: str, prop: dict[str, Any]) -> str:
    text = (prop.get("description") or "").split("\n")[0]
    if CJK.search(text):
        return text.split("：")[0]
    path = ".".join(p for p in name.split(".") if not p.isdigit())  # findings.0.result
    return FIELD_LABELS.get(path) or FIELD_LABELS.get(name.split(".")[-1],
                                                      prop.get("title") or name)


def _options(values: list[Any]) -> list[tuple[str, str]]:
    return [(str(v), OPTION_LABELS.get(str(v), str(v))) for v in values]


def _field(name: str, prop: dict[str, Any], required: bool, root: dict[str, Any]) -> list[Field]:
    prop = _resolve(prop, root)
    label, hint = _label(name, prop), ""
    branches = [_resolve(b, root) for b in prop.get("anyOf", [])
                if _resolve(b, root).get("type") != "null"]
    if prop.get("anyOf"):
        if len(branches) == 1:
            return _field(name, {**branches[0], **{k: v for k, v in prop.items()
                                                  if k not in ("anyOf",)}}, required, root)
        values = [v for b in branches for v in (b.get("enum") or
                                                ([b["const"]] if "const" in b else []))]
        if all(b.get("format") in ("date", "date-time") for b in branches):
            return [Field(name, label, "date", required)]  # a day is enough for a person
        if all("enum" in b or "const" in b for b in branches):
            return [Field(name, label, "select", required, _options(values))]
        return [Field(name, label, "json", required, hint="JSON，例如 " + " 或 ".join(
            json.dumps(b.get("const", [] if b.get("type") == "array" else ""),
                       ensure_ascii=False) for b in branches))]
    kind = prop.get("type")
    if kind == "object" and "properties" in prop:
        needed = set(prop.get("required", []))
        return [f for sub, p in prop["properties"].items()
                for f in _field(f"{name}.{sub}", p, required and sub in needed, root)]
    if "enum" in prop:
        return [Field(name, label, "select", required, _options(prop["enum"]),
                      default=prop.get("default"))]
    if name.split(".")[-1] == "department" and kind == "string":
        return [Field(name, label, "select", required, list(DEPARTMENTS.items()))]
    if kind == "array":
        items = _resolve(prop.get("items", {}), root)
        if "enum" in items:
            return [Field(name, label, "multi", required, _options(items["enum"]))]
        if items.get("type") == "string":
            return [Field(name, label, "lines", required, hint="每行一项")]
        if items.get("type") == "object" and items.get("properties"):
            return [_rows(name, label, required, prop, items, root)]
        example = {k: "" for k in items.get("properties", {})}
        return [Field(name, label, "json", required,
                      hint="JSON 数组，例如 " + json.dumps([example], ensure_ascii=False))]
    if kind == "boolean":
        return [Field(name, label, "checkbox", False, default=prop.get("default"))]
    if kind in ("number", "integer"):
        return [Field(name, label, kind, required, default=prop.get("default"))]
    if kind == "string" and prop.get("format") == "date":
        return [Field(name, label, "date", required)]
    if kind == "string" and prop.get("format") == "date-time":
        return [Field(name, label, "datetime", required, hint="北京时间")]
    if kind == "string" and (prop.get("maxLength") or 0) > 200:
        return [Field(name, label, "textarea", required)]
    return [Field(name, label, "text", required, hint=hint)]


ROWS = 3  # blank items a form offers for a list of objects (a person fills what they need)


def _rows(name: str, label: str, required: bool, prop: dict[str, Any], items: dict[str, Any],
          root: dict[str, Any]) -> Field:
    """A list of objects (检查发现: item, result, legal basis …) as numbered groups of fields,
    named `findings.0.item`: the API's 422 for `data.findings.0.item` lands on that field."""
    needed = set(items.get("required", []))
    count = max(1, min(ROWS, prop.get("maxItems") or ROWS))
    rows = [[f for sub, p in items["properties"].items()
             for f in _field(f"{name}.{i}.{sub}", p, sub in needed, root)]
            for i in range(count)]
    for i, row in enumerate(rows):  # only the first item is needed, when any is
        for f in row:
            f.required = f.required and required and i == 0
    return Field(name, label, "rows", required, rows=rows, item_required=frozenset(needed),
                 hint="填写需要的项，空白的项不提交")


def fields(schema: dict[str, Any] | None) -> list[Field]:
    if not schema:
        return []
    needed = set(schema.get("required", []))
    return [f for name, prop in schema.get("properties", {}).items()
            for f in _field(name, prop, name in needed, schema)]


class FormError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _value(f: Field, form: Any) -> Any:
    raw = form.get(f.name)
    text = raw.strip() if isinstance(raw, str) else ""
    if f.kind == "checkbox":
        return raw is not None
    if f.kind == "multi":
        return form.getlist(f.name) or None
    if not text:
        return None
    if f.kind == "integer":
        return int(text)
    if f.kind == "number":
        return float(text) if "." in text else int(text)
    if f.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if f.kind == "datetime":
        return text + ":00+08:00" if len(text) == 16 else text  # the form's wall time is Beijing
    if f.kind == "json":
        try:
            return json.loads(text)
        except ValueError:
            return text  # a bare word (e.g. district): the API decides
    return text


def parse(form: Any, specs: list[Field]) -> dict[str, Any]:
    """The decision's data from a submitted form; FormError names fields a person must fix
    before anything is sent (empty required fields, numbers that are not numbers)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in specs:
        if f.kind == "rows":
            found = _parse_rows(form, f, errors)
            if found:
                data[f.name] = found
            elif f.required and not any(k.startswith(f.name + ".") for k in errors):
                errors[f.rows[0][0].name] = "至少填写一项"
            continue
        try:
            value = _value(f, form)
        except ValueError:
            errors[f.name] = "请输入数字"
            continue
        if value is None:
            if f.required:
                errors[f.name] = "必填"
            continue
        target = data
        *parents, leaf = f.name.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    if errors:
        raise FormError(errors)
    return data


def _parse_rows(form: Any, f: Field, errors: dict[str, str]) -> list[dict[str, Any]]:
    """The filled items of a list of objects, in order: a blank item is left out, a started
    one must have the item's required fields."""
    found = []
    for i, row in enumerate(f.rows):
        try:
            parsed = parse(form, [dataclasses.replace(sub, required=False) for sub in row])
        except FormError as err:
            errors.update(err.errors)
            continue
        values = parsed.get(f.name, {}).get(str(i), {})
        if not values:
            continue
        for sub in row:
            if sub.name.rsplit(".", 1)[1] in f.item_required and \
                    sub.name.rsplit(".", 1)[1] not in values:
                errors[sub.name] = "必填"
        found.append(values)
    return found
