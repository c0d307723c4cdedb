"""What the hall sees and hears: the hall screen, LED hall boards, the voice announcer."""
