"""Decision forms drawn from JSON Schema, and read back into the data the API expects, for
the schemas the processes really have (no stubs)."""

import pytest
from starlette.datastructures import FormData

from console.forms import FormError, fields, parse
from workflows.registry import processes


def schema(process: str, data: str) -> dict:
    return processes()[process].data_models[data].model_json_schema()


def kinds(process: str, data: str) -> dict[str, str]:
    return {f.name: f.kind for f in fields(schema(process, data))}


def test_every_decision_schema_draws_a_form() -> None:
    for name, process in processes().items():
        for data, model in process.data_models.items():
            assert fields(model.model_json_schema()) is not None, (name, data)


def test_fields_take_the_shape_of_their_schema() -> None:
    assert kinds("incident", "dispatch") == {"department": "select"}
    assert kinds("incident", "park") == {"resume_on": "date"}
    assert kinds("incident", "extend") == {"working_hours": "number", "until": "date"}
    assert kinds("incident", "approve_extension") == {"second_extension": "checkbox"}
    assert kinds("penalty", "return") == {"points": "multi"}
    assert kinds("penalty", "issue") == {"proposed.type": "select", "proposed.fine": "number"}
    assert kinds("dog_dispute", "schedule") == {"at": "datetime", "place": "text"}
    assert kinds("inspection", "RecordData") == {"findings": "rows", "officers_present": "lines"}
    dispatch = fields(schema("incident", "dispatch"))[0]
    assert ("jiugongmiao", "九宫庙街道") in dispatch.options and dispatch.label == "处置部门"


def test_a_form_reads_back_into_the_decisions_data() -> None:
    specs = fields(schema("penalty", "issue"))
    assert parse(FormData([("proposed.type", "fine"), ("proposed.fine", "8000")]), specs) == \
        {"proposed": {"type": "fine", "fine": 8000}}
    specs = fields(schema("dog_dispute", "schedule"))
    assert parse(FormData([("at", "2026-12-01T09:30"), ("place", "社区调解室")]), specs) == \
        {"at": "2026-12-01T09:30:00+08:00", "place": "社区调解室"}  # the form's time is Beijing's
    specs = fields(schema("penalty", "return"))
    assert parse(FormData([("points", "facts"), ("points", "evidence")]), specs) == \
        {"points": ["facts", "evidence"]}
    specs = fields(schema("incident", "done"))
    assert parse(FormData([("result", "已清运"), ("photos", "media:a.jpg\n\nhttps://x/b.jpg")]),
                 specs) == {"result": "已清运", "photos": ["media:a.jpg", "https://x/b.jpg"]}


def test_a_list_of_objects_keeps_the_filled_items() -> None:
    specs = fields(schema("inspection", "RecordData"))
    form = FormData([("findings.0.item", "食品经营许可"), ("findings.0.result", "compliant"),
                     ("findings.2.item", "从业人员健康证"), ("findings.2.result", "violation"),
                     ("findings.2.fine_proposed", "500"), ("officers_present", "a\nb")])
    assert parse(form, specs) == {"findings": [
        {"item": "食品经营许可", "result": "compliant"},
        {"item": "从业人员健康证", "result": "violation", "fine_proposed": 500}],
        "officers_present": ["a", "b"]}


@pytest.mark.parametrize(("pairs", "errors"), [
    ([("officers_present", "a")], {"findings.0.item": "至少填写一项"}),
    ([("findings.1.item", "x"), ("officers_present", "a")], {"findings.1.result": "必填"}),
    ([("findings.0.item", "x"), ("findings.0.result", "compliant"),
      ("findings.0.fine_proposed", "五百"), ("officers_present", "a")],
     {"findings.0.fine_proposed": "请输入数字"}),
    ([("findings.0.item", "x"), ("findings.0.result", "compliant")],
     {"officers_present": "必填"}),
])
def test_what_a_person_must_fix_is_named_by_field(pairs: list, errors: dict) -> None:
    with pytest.raises(FormError) as raised:
        parse(FormData(pairs), fields(schema("inspection", "RecordData")))
    assert raised.value.errors == errors
