"""Browser pages served by the hall itself (docs/web.md): the citizens' pages (phone,
guide, booking) on both listeners, the staff and managers' pages on the LAN only.
Everything a page needs is here or in its feature's templates and static files: a hall
may have no internet."""
