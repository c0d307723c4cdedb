"""Printing for the command line: ``jiaohao queue issue SERVICE --print``."""
from __future__ import annotations

import sys

from ..context import CommandError


def issue_printed(ctx, service: str, priority: bool = False):
    """Check the printer, issue a ticket of ``service`` and print it, as the kiosk does.

    A printer that refuses (paper out, offline) uses no number; a print that fails
    part-way cancels the ticket (print_failed). Either is a CommandError."""
    from kiosk.printing import PrinterUnavailable, TicketIssuer, TicketNotPrinted

    issuer = TicketIssuer(ctx.hall, ctx.config)
    url = ctx.config.printer.url
    try:
        printed = issuer.issue(service, priority=priority, kiosk="cli")
    except TicketNotPrinted as e:
        why = e.status.message_en if e.status else e.message_en
        if isinstance(e, PrinterUnavailable):
            zh = e.status.message_zh if e.status else "打印机不可用"
            raise CommandError(f"打印机 {url} 不能打印：{zh}，没有出票 (printer cannot print ({why}); no ticket issued)") from None
        number = e.ticket.number if e.ticket else ""
        zh_why = e.status.message_zh if e.status else e.message_zh
        raise CommandError(f"{number + ' 号票' if number else '这张票'}没有在 {url} 上打印出来（{zh_why}），已作废 "
                           f"({number or 'the ticket'} not printed on {url} ({why}); it is cancelled "
                           "(print_failed))") from None
    finally:
        issuer.printer.close()
    _say_where(ctx)
    return printed


def _say_where(ctx) -> None:
    from drivers.printer import PrinterSimulator
    from drivers.transport import get_sim, sim_name

    name = sim_name(ctx.config.printer.url.split("?")[0])
    sim = get_sim(name) if name else None
    if isinstance(sim, PrinterSimulator) and sim.pngs:
        print(f"已在模拟打印机上打印 (printed on the simulated printer) {ctx.config.printer.url}: {sim.pngs[-1]}",
              file=sys.stderr)
