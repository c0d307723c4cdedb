"""Text templates in a hall file (the printer's QR code, the voice's call): plain fields only.

A template is text with fields written ``{name}``. Only the documented names are
allowed, exactly like that: no attribute or index access (``{ticket_id.__class__}``,
``{number[0]}``), no ``!r`` conversion, no ``:`` format, and every brace belongs to a
field, so a typo such as ``{window号`` is refused at load instead of being printed or
spoken as it stands.
"""
from __future__ import annotations

from .invalid import Invalid


def _names(allowed: tuple[str, ...], zh: bool = False) -> str:
    shown = ["{" + n + "}" for n in allowed]
    if zh:
        return "、".join(shown)
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def check_template(text: str, allowed: tuple[str, ...], what: str = "the template",
                   literal_braces: bool = True, what_zh: str = "模板") -> list[str]:
    """The field names used in ``text``, or ValueError saying what is wrong and what is allowed.

    ``literal_braces``: ``{{`` and ``}}`` stand for one brace (as in ``str.format``); when
    False (a template that is spoken) any brace outside a field is an error.
    """
    may = f"{what} may use only {_names(allowed)}"
    may_zh = f"{what_zh}只能用 {_names(allowed, zh=True)}"
    brace = "; write {{ for a brace)" if literal_braces else "; a call cannot say a brace)"
    brace_zh = "；要写花括号本身请写两个）" if literal_braces else "；播报念不出花括号）"
    fields, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "{}" and literal_braces and text.startswith(c * 2, i):
            i += 2
            continue
        if c == "}":
            raise Invalid(f"unbalanced brace: the '}}' at character {i + 1} closes no field ({may}"
                          + brace.replace("{{", "}}"),
                          f"花括号不成对：第 {i + 1} 个字符的 '}}' 前面没有 '{{'（{may_zh}" + brace_zh)
        if c != "{":
            i += 1
            continue
        end = text.find("}", i + 1)
        nested = text.find("{", i + 1)
        if end < 0 or 0 <= nested < end:
            raise Invalid(f"unbalanced brace: the '{{' at character {i + 1} is not closed ({may}" + brace,
                          f"花括号不成对：第 {i + 1} 个字符的 '{{' 没有关上（{may_zh}" + brace_zh)
        name = text[i + 1:end]
        if name not in allowed:
            base = name.split(".")[0].split("[")[0].split("!")[0].split(":")[0]
            if base in allowed:
                raise Invalid(f"{{{name}}} is not allowed: {may}, written just like that "
                              "(nothing after the name)", f"不能写 {{{name}}}：{may_zh}，名字后面什么都不能加")
            raise Invalid(f"unknown field {{{name}}}; {may}", f"没有字段 {{{name}}}；{may_zh}")
        fields.append(name)
        i = end + 1
    return fields
