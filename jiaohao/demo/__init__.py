"""`jiaohao demo`: a whole hall on one machine with simulated devices and people.

The demo runs the real parts (queue, ticket printing, window bus master, voice
announcer, LED boards, Qt windows) against byte-level simulators, and adds what a
real hall has and a machine does not: citizens arriving at a realistic rate
(:mod:`.arrivals`) and staff pressing keys on their keypads (:mod:`.staff`), on a
sped-up clock. :class:`.runner.DemoHall` ties it together.
"""


class DemoError(Exception):
    """The demo cannot start (a bad option, an unusable output folder)."""
