/// IPMI Chassis Control sub-commands the machine asks the shell to send (IPMI 2.0 §28.3). Named after the spec,
/// not ipmitool: `powerDown` is `power off`, `softShutdown` is `power soft` (ACPI).
public enum ChassisControlKind: UInt8, Hashable, Sendable, CaseIterable {
    case powerDown = 0x00
    case powerUp = 0x01
    case powerCycle = 0x02
    case hardReset = 0x03
    case softShutdown = 0x05
}

/// Timing of a power action. Defaults are Ironic's (ironic.md §1, P11).
public struct PowerActionConfiguration: Hashable, Sendable {
    /// `[conductor]power_state_change_timeout`: how long on, off and each half of a reboot may take.
    public var powerStateChangeTimeout: Duration
    /// `[conductor]soft_power_off_timeout`: the same for soft power off and each half of a soft reboot.
    public var softPowerOffTimeout: Duration
    /// First read-back after the command; Ironic's `initial_delay`.
    public var initialPollDelay: Duration
    /// Each later wait grows by half, as Ironic's back-off does, but without its jitter (the core has no
    /// randomness) and capped so a slow BMC is still confirmed promptly.
    public var maxPollInterval: Duration

    public init(
        powerStateChangeTimeout: Duration = .seconds(60),
        softPowerOffTimeout: Duration = .seconds(600),
        initialPollDelay: Duration = .seconds(1),
        maxPollInterval: Duration = .seconds(10)
    ) {
        self.powerStateChangeTimeout = powerStateChangeTimeout
        self.softPowerOffTimeout = softPowerOffTimeout
        self.initialPollDelay = initialPollDelay
        self.maxPollInterval = maxPollInterval
    }

    /// Soft requests wait for the OS to shut down, so they get the long timeout unless the API gave one (P3).
    public func timeout(for action: PowerAction, requested: Duration?) -> Duration {
        requested ?? (action.isSoft ? softPowerOffTimeout : powerStateChangeTimeout)
    }
}
