"""Device protocols and transports, and a simulator of each device. No Qt, no hall/."""


class DeviceError(Exception):
    """Root of device failures; the message names the device."""
