"""Printing for the command line: ``jiaohao queue issue SERVICE --print``."""
from __future__ import annotations

import sys

from ..context import CommandError


def print_ticket(ctx, ticket):
    """Print ``ticket`` on the configured printer; CommandError (ticket cancelled) if it fails."""
    from drivers.printer import PrinterSimulator
    from drivers.transport import get_sim, sim_name
    from kiosk.printing import TicketIssuer, TicketNotPrinted

    issuer = TicketIssuer(ctx.queue, ctx.config)
    try:
        printed = issuer.print_issued(ticket, kiosk="cli")
    except TicketNotPrinted as e:
        raise CommandError(f"ticket {ticket.number} not printed on {ctx.config.printer.url} "
                           f"({e.status.message_en if e.status else e}); it is cancelled (print_failed)") from None
    finally:
        issuer.printer.close()
    name = sim_name(ctx.config.printer.url.split("?")[0])
    sim = get_sim(name) if name else None
    if isinstance(sim, PrinterSimulator) and sim.pngs:
        print(f"printed on the simulated printer {ctx.config.printer.url}: {sim.pngs[-1]}", file=sys.stderr)
    return printed
