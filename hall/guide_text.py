"""A guide entry as plain text lines: the printed 材料清单 and `jiaohao guide show`."""
from __future__ import annotations


def material_line(m, english: bool = False) -> str:
    name = (m.name_en or m.name) if english else m.name
    copies = f" ×{m.copies}" if m.copies > 1 else ""
    return f"{name}（{m.form}{copies}）" if not english else f"{name} ({m.form}{copies})"


def checklist_lines(e, guide=None, width: int = 48) -> list[str]:
    """The checklist a citizen takes home: item, where, time limit, fee, materials with boxes."""
    zone = guide.zone(e) if guide is not None else e.zone
    windows = guide.windows(e) if guide is not None else e.windows
    out = [e.name]
    if e.department:
        out.append(f"办理部门：{e.department}")
    if zone or windows:
        where = zone + (f" {'、'.join(map(str, windows))}号窗口" if windows else "")
        out.append(f"办理地点：{where.strip()}")
    if e.time_limit_zh:
        out.append(f"承诺时限：{e.time_limit_zh}")
    out.append(f"收费标准：{e.fee}")
    out.append("")
    out.append(f"申请材料（{len(e.materials)}项）：")
    for i, m in enumerate(e.materials, 1):
        out.append(f"□ {i}. {material_line(m)}")
        extra = (["可电子证照共享"] if m.electronic else []) + ([m.note] if m.note else [])
        if extra:
            out.append("    " + "；".join(extra))
    if e.notes:
        out += ["", f"注意事项：{e.notes}"]
    if e.phone_consult:
        out.append(f"咨询电话：{e.phone_consult}")
    if e.sample:
        out.append("（示例文本，以窗口告知为准）")
    return out
