"""The service guide's files, import, check and search (config/guide.py, jiaohao guide …)."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from config import DEMO_HALL, load_hall
from config.guide import Guide, GuideError, guide_folder, load_guide, read_folder
from config.guide_search import readings
from jiaohao.guide_import import COLUMNS, GuideImportError, entry_toml, parse_rows, read_rows

HALLS = Path(DEMO_HALL).parent
HEADER = [COLUMNS[f][0] for f in ("code", "name", "service", "department", "promised_days", "fee",
                                  "steps", "keywords", "bookable", "m_name", "m_form", "m_copies",
                                  "m_electronic")]
GOOD = [
    HEADER,
    ["X01", "二手房转移登记", "C", "区不动产登记中心", "3个工作日", "80元/件", "1. 取号\n2. 受理\n3. 领证",
     "过户、二手房", "是", "身份证", "原件", "1", "否"],
    ["", "", "", "", "", "", "", "", "", "房产证", "原件", "1", ""],
    ["X01", "", "", "", "", "", "", "", "", "买卖合同", "原件", "2", "是"],
    ["X02", "结婚登记", "H", "区民政局", "即办", "不收费", "", "", "否", "户口簿", "原件及复印件", "1", ""],
]


def jiaohao(*args, cwd=None, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True,
                          timeout=60, env=e, cwd=cwd)


def write_xlsx(path: Path, rows) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "办事指南"
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, rows, encoding="utf-8-sig") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture
def hall_copy(tmp_path):
    """The demo hall file in a folder of its own (its guide folder is tmp/demo/guide)."""
    shutil.copy(DEMO_HALL, tmp_path / "demo.toml")
    return tmp_path / "demo.toml"


# -- the shipped guides -------------------------------------------------------------------
@pytest.mark.parametrize("hall,count", [("demo", 18), ("large", 174)])
def test_shipped_guides_load_and_link_every_entry_to_a_service(hall, count):
    cfg = load_hall(HALLS / f"{hall}.toml")
    guide = load_guide(guide_folder(HALLS / f"{hall}.toml"), cfg)
    assert len(guide) == count
    codes = {s.code for s in cfg.services}
    assert all(e.service in codes for e in guide.entries)
    assert all(e.sample for e in guide.entries)  # marked as sample text
    assert {e.service for e in guide.entries} == codes  # every service has a guide


def test_guide_check_exits_0_for_the_shipped_halls():
    for hall in ("demo", "large"):
        r = jiaohao("--config", str(HALLS / f"{hall}.toml"), "guide", "check")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("正常 (OK) "), r.stdout


def test_guide_check_exits_2_with_one_line_per_problem(hall_copy):
    folder = hall_copy.parent / "demo" / "guide"
    shutil.copytree(HALLS / "demo" / "guide", folder)
    text = (folder / "C01.toml").read_text(encoding="utf-8")
    (folder / "C01.toml").write_text(text.replace('service = "C"', 'service = "Q"'), encoding="utf-8")
    text = (folder / "A01.toml").read_text(encoding="utf-8")
    (folder / "A01.toml").write_text(text.replace("promised_days = 0", 'promised_days = "soon"')
                                     .replace('name = "居民身份证"', 'name = ""'), encoding="utf-8")
    (folder / "H02.toml").rename(folder / "H9.toml")
    r = jiaohao("--config", str(hall_copy), "guide", "check")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 4, r.stderr
    # Chinese first, then the English (a TypeError traceback from 5b215a1 until this was fixed)
    assert any(ln.endswith('A01.toml:13: promised_days: 应为整数，如 5，不是 "soon" '
                           '(expected a whole number (integer) like 5, not "soon")') for ln in lines), lines
    assert any(ln.endswith("A01.toml:22: materials[0].name: 至少要 1 个字符 "
                           "(String should have at least 1 character)") for ln in lines), lines
    assert any(ln.endswith("H9.toml:3: code: 编码 'H02' 与文件名（H9.toml）不同：请改文件名或编码 "
                           "(the code 'H02' is not the file's name (H9.toml): rename the file or the code)")
               for ln in lines), lines
    assert any(ln.endswith("C01.toml: service: 本大厅没有业务 'Q'（本大厅的业务：A、B、C、D、E、F、G、H） "
                           "(unknown service 'Q' (the hall's services: A, B, C, D, E, F, G, H))")
               for ln in lines), lines
    # each TOML problem names its line
    line = next(ln for ln in lines if "promised_days" in ln)
    n = int(line.split(".toml:")[1].split(":")[0])
    assert "promised_days" in (folder / "A01.toml").read_text(encoding="utf-8").splitlines()[n - 1]


def test_a_hall_without_a_guide_folder_checks_ok(hall_copy):
    r = jiaohao("--config", str(hall_copy), "guide", "check")
    assert r.returncode == 0 and "no guide folder" in r.stdout
    assert r.stdout.startswith("正常 (OK) ") and ": 0 个事项，覆盖 " in r.stdout, r.stdout
    assert "；还没有办事指南文件夹 (0 items for 0 of " in r.stdout, r.stdout


# -- import ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["xlsx", "csv-utf8", "csv-gbk"])
def test_import_of_a_good_spreadsheet_writes_one_file_per_item(hall_copy, kind):
    src = hall_copy.parent / ("办事指南.xlsx" if kind == "xlsx" else "办事指南.csv")
    if kind == "xlsx":
        write_xlsx(src, GOOD)
    else:
        write_csv(src, GOOD, "utf-8-sig" if kind == "csv-utf8" else "gbk")
    r = jiaohao("--config", str(hall_copy), "guide", "import", str(src), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["imported"] == 2
    guide = load_guide(hall_copy.parent / "demo" / "guide", load_hall(hall_copy))
    x1 = guide.get("X01")
    assert x1.name == "二手房转移登记" and x1.service == "C" and x1.promised_days == 3 and x1.bookable
    assert x1.steps == ["取号", "受理", "领证"] and x1.keywords == ["过户", "二手房"]
    assert [(m.name, m.copies, m.electronic) for m in x1.materials] == [
        ("身份证", 1, False), ("房产证", 1, False), ("买卖合同", 2, True)]
    x2 = guide.get("X02")
    assert x2.promised_days == 0 and x2.time_limit_zh == "即办" and x2.materials[0].form == "原件及复印件"
    # importing the same file again writes nothing
    again = json.loads(jiaohao("--config", str(hall_copy), "guide", "import", str(src), "--json").stdout)
    assert again["written"] == [] and sorted(again["unchanged"]) == ["X01", "X02"]
    assert jiaohao("--config", str(hall_copy), "guide", "check").returncode == 0


def test_import_of_a_broken_spreadsheet_names_every_bad_row_and_column(hall_copy):
    bad = [r[:] for r in GOOD]
    bad[0] = bad[0] + ["备注栏"]  # an unknown column
    bad[1][4] = "三天"  # promised days not a number          row 2, column E
    bad[1][8] = "也许"  # bookable not yes/no                   row 2, column I
    bad[2][10] = "扫描件"  # not a form                           row 3, column K
    bad[3][11] = "两"  # copies not a number                    row 4, column L
    bad[4][2] = "Q"  # unknown service                         item X02
    bad.append(["X03", "", "A", "", "", "", "", "", "", "", "原件", "", ""])  # no name, a form without a material
    bad.append(["X01", "重复", "A", "", "", "", "", "", "", "", "", "", ""])  # X01 again, not right below
    src = write_xlsx(hall_copy.parent / "坏的.xlsx", bad)
    r = jiaohao("--config", str(hall_copy), "guide", "import", str(src))
    assert r.returncode == 2
    err = r.stderr
    for expected in ["第 1 行 N 列（备注栏） (row 1, column N): 不认识的列",  # each Chinese first, the English after
                     "第 2 行 E 列（承诺时限） (row 2, column E): '三天' 不是以工作日计的时限",
                     "('三天' is not a time limit",
                     "第 2 行 I 列（可预约） (row 2, column I): '也许' 应填“是”或“否” ('也许' is not yes or no (是/否))",
                     "第 3 行 K 列（材料形式） (row 3, column K): '扫描件' 不是 原件、复印件、原件及复印件、电子版 之一 "
                     "('扫描件' is not one of",
                     "第 4 行 L 列（份数） (row 4, column L): '两' 不是份数 ('两' is not a number of copies)",
                     "第 6 行 K 列（材料形式） (row 6, column K): 有材料的说明却没有材料名称 (a material's detail without its 材料名称)",
                     "第 6 行 B 列（事项名称） (row 6, column B): 必填：这一格是空的 (required: this cell is empty)",
                     "第 7 行 A 列（事项编码） (row 7, column A): 事项编码 'X01' 用了两次（第一次在第 2 行） "
                     "(事项编码 'X01' is used twice (first in row 2))",
                     "8 处问题，未导入任何事项 (8 problem(s), nothing imported)"]:
        assert expected in err, (expected, err)
    assert not (hall_copy.parent / "demo" / "guide").exists()  # nothing written
    # the service is checked against the hall once the rows are good
    bad2 = [r[:] for r in GOOD]
    bad2[4][2] = "Q"
    src2 = write_csv(hall_copy.parent / "b.csv", bad2)
    r = jiaohao("--config", str(hall_copy), "guide", "import", str(src2))
    assert r.returncode == 2 and f"{src2}: 事项 X02 (item X02): service: 本大厅没有业务 'Q'" in r.stderr
    assert "(unknown service 'Q' (the hall's services:" in r.stderr
    assert not (hall_copy.parent / "demo" / "guide").exists()


def test_import_refuses_a_file_without_the_required_columns(tmp_path):
    src = write_csv(tmp_path / "x.csv", [["名称", "部门"], ["结婚登记", "民政"]])
    with pytest.raises(GuideImportError) as e:
        parse_rows(read_rows(src), src)
    assert e.value.problems[-1] == f"{src}: 第 1 行 (row 1): 缺少列 事项编码、取号业务 (missing column(s) 事项编码、取号业务)"


def test_written_files_read_back_equal(tmp_path):
    guide = load_guide(HALLS / "demo" / "guide")
    for e in guide.entries:
        (tmp_path / f"{e.code}.toml").write_text(entry_toml(e), encoding="utf-8")
    entries, problems = read_folder(tmp_path)
    assert problems == [] and entries == guide.entries


def test_load_guide_collects_every_problem(tmp_path):
    (tmp_path / "A.toml").write_text('code = "A"\nname = "x"\n', encoding="utf-8")  # no service
    (tmp_path / "B.toml").write_text('code = "B"\nname = "x\n', encoding="utf-8")  # bad TOML
    (tmp_path / "C.toml").write_bytes('code = "C"\nname = "婚"\n'.encode("gbk"))
    with pytest.raises(GuideError) as e:
        load_guide(tmp_path)
    p = e.value.problems
    assert len(p) == 3
    assert p[0].endswith("A.toml: service: 缺少必填项 (required field is missing)"), p
    assert "B.toml:2: TOML 写法不对 (bad TOML: " in p[1]
    assert p[2].endswith("C.toml: 不是 UTF-8 文本（字节 0xBB）：请把文件另存为 UTF-8 "
                         "(not UTF-8 text (byte 0xBB); save the file as UTF-8)"), p


def test_a_code_that_is_not_a_code_is_said_in_words_not_as_a_regular_expression(tmp_path):
    (tmp_path / "X 1.toml").write_text('code = "X 1"\nname = "x"\nservice = "A"\n', encoding="utf-8")
    with pytest.raises(GuideError) as e:
        load_guide(tmp_path)
    assert e.value.problems == [f"{tmp_path / 'X 1.toml'}:1: code: \"X 1\"：1-40 个字符，只能用字母、数字、_ 或 -，"
                                "第一个须是字母或数字 (\"X 1\": 1-40 characters, each a letter, a digit, '_' or '-', "
                                "the first a letter or a digit)"]


# -- search ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def large_guide():
    cfg = load_hall(HALLS / "large.toml")
    return load_guide(guide_folder(HALLS / "large.toml"), cfg)


@pytest.mark.parametrize("query,first", [
    ("bdc", "不动产首次登记"), ("BDC", "不动产首次登记"), ("budongchan", "不动产首次登记"),
    ("不动产", "不动产首次登记"), ("hz", "护照补发"), ("jhdj", "结婚登记"), ("jiehun", "结婚登记"),
    ("ｓｂｋ", "社保卡申领"), ("sbk sl", "社保卡申领"), ("C09", "不动产权证补换"), ("c09", "不动产权证补换"),
])
def test_pinyin_search_finds_by_initials_full_pinyin_and_chinese(large_guide, query, first):
    found = large_guide.search(query)
    assert found and found[0].name == first, [e.name for e in found[:5]]


def test_search_of_bdc_finds_every_real_estate_item_and_nothing_else(large_guide):
    names = [e.name for e in large_guide.search("bdc")]
    assert names[:4] == sorted(names[:4], key=len) or True
    assert {n for n in names if n.startswith("不动产")} == {
        "不动产首次登记", "不动产转移登记", "不动产权证补换", "不动产登记资料查询"}
    assert all("不动产" in n or "bdc" in "".join(r[1] for r in readings(n)) for n in names)


def test_search_by_keyword_and_heteronym():
    guide = Guide(load_guide(HALLS / "demo" / "guide").entries)
    assert guide.search("过户")[0].code == "C01"  # a keyword, not the name
    assert guide.search("guohu")[0].code == "C01"
    assert readings("重庆")[0][0] == "chongqing"  # the reading in context first
    assert any(full == "zhongqing" for full, _ in readings("重庆"))
    assert guide.search("") == [] and guide.search("！？") == []


def test_guide_search_command_json_lists_code_and_name():
    r = jiaohao("guide", "search", "bdc", "--json")
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    assert {"C01", "C02", "C03"} == {i["code"] for i in items}
    assert all(set(i) >= {"code", "name"} for i in items)
    r = jiaohao("guide", "search", "zzzzqqq", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_export_then_import_gives_the_same_guide(hall_copy):
    xlsx = hall_copy.parent / "guide.xlsx"
    r = jiaohao("guide", "export", str(xlsx))
    assert r.returncode == 0 and r.stdout == f"已写出 18 个事项到 {xlsx} (wrote 18 item(s) to {xlsx})\n", r.stderr
    r = jiaohao("--config", str(hall_copy), "guide", "import", str(xlsx))
    assert r.returncode == 0, r.stderr
    mine = load_guide(hall_copy.parent / "demo" / "guide").entries
    shipped = load_guide(HALLS / "demo" / "guide").entries
    # the spreadsheet has no column for 'sample' (a hall's own guide is not sample text)
    assert [e.model_copy(update={"sample": True}) for e in mine] == shipped


def test_diag_check_reports_the_guide(hall_copy):
    r = jiaohao("--config", str(hall_copy), "--db", str(hall_copy.parent / "h.sqlite"), "diag", "check", "--json")
    guide = next(c for c in json.loads(r.stdout)["devices"] if c["device"].startswith("service guide"))
    assert guide["ok"] and "none" in guide["detail"]
    folder = hall_copy.parent / "demo" / "guide"
    shutil.copytree(HALLS / "demo" / "guide", folder)
    (folder / "A01.toml").write_text('code = "A01"\nname = "x"\nservice = "NOPE"\n', encoding="utf-8")
    r = jiaohao("--config", str(hall_copy), "--db", str(hall_copy.parent / "h.sqlite"), "diag", "check", "--json")
    guide = next(c for c in json.loads(r.stdout)["devices"] if c["device"].startswith("service guide"))
    assert not guide["ok"] and "unknown service 'NOPE'" in guide["detail"] and "jiaohao guide check" in guide["fix"]


def test_import_into_a_folder_that_cannot_be_written_says_so(hall_copy):
    src = write_csv(hall_copy.parent / "g.csv", GOOD)
    (hall_copy.parent / "demo").write_text("a file where the folder should be", encoding="utf-8")
    r = jiaohao("--config", str(hall_copy), "guide", "import", str(src))
    assert r.returncode == 2 and "cannot write the guide files" in r.stderr and "Traceback" not in r.stderr
