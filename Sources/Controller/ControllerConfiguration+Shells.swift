import ControllerCore

extension BMCClientConfiguration {
    /// The `[ipmi]` section as the client's settings.
    public init(_ ipmi: ControllerConfiguration.IPMI) {
        self.init(scheduling: BMCSchedulingConfiguration(minimumInterval: ipmi.minCommandInterval,
                                                         maximumInFlight: ipmi.maxInFlight,
                                                         credentialBackOff: ipmi.credentialBackoff,
                                                         maximumCredentialBackOff: ipmi.maxCredentialBackoff),
                  retransmitInterval: ipmi.retransmitInterval, maximumAttempts: ipmi.retransmitAttempts,
                  keepAliveInterval: ipmi.keepaliveInterval)
        persistentSessions = ipmi.persistentSessions
    }
}

extension PowerControllerConfiguration {
    /// The `[conductor]` section as the supervisor's settings.
    public init(_ configuration: ControllerConfiguration) {
        self.init(powerSync: configuration.powerSync, powerAction: configuration.powerAction,
                  syncWorkers: configuration.conductor.syncPowerStateWorkers,
                  novaPowerStateHold: NovaPowerStateHold.Configuration(enabled: configuration.nova.holdPowerStateUntilApplied,
                                                                       maximumHold: configuration.nova.holdMaximum))
    }
}
