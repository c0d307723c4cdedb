"""`jiaohao guide …`: the service guide (办事指南): search, check, import, show."""
from __future__ import annotations

import sys
from pathlib import Path

from ..cli import emit
from ..context import CommandError
from .inputs import printable, server_options


def register(sub) -> None:
    p = sub.add_parser("guide", help="the service guide (办事指南): search, check, import")
    s = p.add_subparsers(dest="guide_command", metavar="ACTION")
    s.required = True
    a = s.add_parser("search", help="search the guide as the kiosk does (Chinese, pinyin, initials: bdc)")
    a.add_argument("text", metavar="TEXT")
    a.add_argument("--json", action="store_true", help="a JSON list of entries with code and name")
    server_options(a)
    a.set_defaults(func=search)
    c = s.add_parser("check", help="check every guide file against the hall; one line per problem")
    c.add_argument("--json", action="store_true", help="one JSON object on stdout")
    c.set_defaults(func=check)
    i = s.add_parser("import", help="import the 办事指南 spreadsheet (.xlsx or .csv) into guide files",
                     description="Import a hall's 办事指南 spreadsheet: one header row, one row per material "
                                 "(an item's first row holds its fields). The whole file is checked first; "
                                 "every bad row and column is named and nothing is written unless all is "
                                 "good. See docs/guide.md for the columns.")
    i.add_argument("file", metavar="FILE.xlsx|FILE.csv")
    i.add_argument("--sheet", help="the sheet to read (default: the first)")
    i.add_argument("--check", action="store_true", help="only check the file, write nothing")
    i.add_argument("--replace", action="store_true", help="remove guide files of items not in the file")
    i.add_argument("--json", action="store_true", help="one JSON object on stdout")
    i.set_defaults(func=import_file)
    x = s.add_parser("export", help="the guide as the spreadsheet `import` reads (.xlsx): a template to fill in")
    x.add_argument("file", metavar="FILE.xlsx")
    x.set_defaults(func=export)
    w = s.add_parser("show", help="one item's guide as text")
    w.add_argument("code")
    w.add_argument("--json", action="store_true", help="the entry as JSON")
    server_options(w)
    w.set_defaults(func=show)


def _folder(ctx) -> Path:
    from config.guide import guide_folder
    return guide_folder(ctx.config_path, ctx.config.guide.folder)


def _guide(ctx):
    """The guide: the hall server's (with --server or JIAOHAO_SERVER), else the files here."""
    if ctx.server:
        return ctx.hall.guide()[1]
    from config.guide import GuideError, load_guide
    try:
        return load_guide(_folder(ctx), ctx.config)
    except GuideError as e:
        raise CommandError(f"办事指南有 {len(e.problems)} 处问题，请运行 `jiaohao guide check` "
                           f"(the guide has {len(e.problems)} problem(s); run `jiaohao guide check`):\n  "
                           + "\n  ".join(e.problems[:10]))


def search(ctx, args) -> int:
    if not args.text.strip():
        raise CommandError("请给出要查的词，如 社保、shebao 或 sb (give a word to search for, e.g. 社保, shebao or sb)")
    guide = _guide(ctx)
    found = guide.search(args.text)
    if args.json:
        import json
        print(json.dumps([{"code": e.code, "name": e.name, "service": e.service, "department": e.department,
                           "zone": guide.zone(e)} for e in found], ensure_ascii=False))
    elif not found:
        print(f"没有找到 {args.text!r} (nothing found for {args.text!r})", file=sys.stderr)
        return 1
    else:
        for e in found:
            print(f"{e.code}\t{e.name}\t{e.department}")
    return 0


def check(ctx, args) -> int:
    from config.guide import hall_problems, read_folder
    folder = _folder(ctx)
    entries, problems = read_folder(folder)
    problems += hall_problems(entries, ctx.config, folder)
    services = {e.service for e in entries}
    summary = {"folder": str(folder), "ok": not problems, "items": len(entries),
               "services_covered": len(services), "services": len(ctx.config.services),
               "sample": sum(e.sample for e in entries), "problems": problems}
    if problems:
        if args.json:
            emit(args, summary, "")
        for p in problems:  # they quote the guide files' text
            print(printable(p), file=sys.stderr)
        return 2
    n, m, k, sample = len(entries), len(services), len(ctx.config.services), summary["sample"]
    zh = f"{n} 个事项，覆盖 {k} 个业务中的 {m} 个" + (f"，其中 {sample} 个是示例文字" if sample else "")
    en = f"{n} items for {m} of {k} services" + (f", {sample} of them sample text" if sample else "")
    if not folder.exists():
        zh, en = zh + "；还没有办事指南文件夹", en + "; no guide folder: the hall has no guide yet"
    emit(args, summary, f"正常 (OK) {folder}: {zh} ({en})")
    return 0


def import_file(ctx, args) -> int:
    from ..guide_import import GuideImportError, check_against_hall, parse_rows, read_rows, write_guide
    path = Path(args.file)
    if path.is_dir():
        raise CommandError(f"{path}: 是文件夹，请给出 .xlsx 或 .csv 文件 (is a folder: give an .xlsx or .csv file)")
    if not path.is_file():
        raise CommandError(f"{path}: 文件不存在 (file not found)")
    try:
        entries = parse_rows(read_rows(path, args.sheet), path)
        check_against_hall(entries, ctx.config, path)
    except GuideImportError as e:
        from ..guide_import import MAX_PROBLEMS
        for p in e.problems[:MAX_PROBLEMS]:  # they quote the spreadsheet's cells
            print(printable(p), file=sys.stderr)
        n, more = len(e.problems), len(e.problems) - MAX_PROBLEMS
        print(f"{n} 处问题" + (f"（另有 {more} 处未列出）" if more > 0 else "") + "，未导入任何事项 "
              f"({n} problem(s)" + (f" ({more} more not shown)" if more > 0 else "") + ", nothing imported)",
              file=sys.stderr)
        return 2
    folder = _folder(ctx)
    if args.check:
        emit(args, {"checked": len(entries), "folder": str(folder)},
             f"已检查 {len(entries)} 个事项，全部无误（未写入） (checked {len(entries)} item(s): all good (nothing written))")
        return 0
    try:
        result = write_guide(entries, folder, replace=args.replace)
    except OSError as e:
        raise CommandError(f"{folder}: 写不了办事指南文件 (cannot write the guide files): {e.strerror or e}；"
                           "请用拥有大厅配置的用户运行 (run as the user who owns the hall's configuration)") from None
    n, written, same, gone = len(entries), len(result["written"]), len(result["unchanged"]), len(result["removed"])
    emit(args, {"imported": n, "folder": str(folder), **result},
         f"已导入 {n} 个事项到 {folder}：写入 {written} 个，未变 {same} 个" + (f"，删除 {gone} 个" if args.replace else "")
         + f" (imported {n} item(s) into {folder}: {written} written, {same} unchanged"
         + (f", {gone} removed" if args.replace else "") + ")")
    return 0


def show(ctx, args) -> int:
    guide = _guide(ctx)
    e = guide.get(args.code)
    if e is None:
        raise CommandError(f"没有办事指南事项 {args.code!r}，试试 `jiaohao guide search` (no guide item {args.code!r})")
    if args.json:
        import json
        print(json.dumps(e.model_dump(), ensure_ascii=False))
        return 0
    from hall.guide_text import checklist_lines
    print("\n".join(checklist_lines(e, guide, width=60)))
    return 0


def export(ctx, args) -> int:
    from ..guide_export import write_xlsx
    path = Path(args.file)
    if path.suffix.lower() != ".xlsx":
        raise CommandError(f"{path}: 请给出 .xlsx 文件名 (give a .xlsx file name)")
    if not path.parent.is_dir():
        raise CommandError(f"{path.parent}: 没有这个文件夹 (no such folder)")
    guide = _guide(ctx)
    from ..xlsx_save import TempFolderFull
    try:
        write_xlsx(guide.entries, path)
    except TempFolderFull as e:
        raise CommandError(e.line(f" {path}", str(path))) from None
    except OSError as e:
        raise CommandError(f"{path}: 写不了 (cannot write: {e.strerror or e})") from None
    print(f"已写出 {len(guide)} 个事项到 {path}" + ("" if guide else "（只有表头：一个模板）")
          + f" (wrote {len(guide)} item(s) to {path}" + ("" if guide else " (the header only: a template)") + ")")
    return 0
