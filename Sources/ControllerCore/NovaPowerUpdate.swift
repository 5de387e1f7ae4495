/// Why a node's recorded power state changed; kept in the node's history and used to decide on Nova events.
public enum PowerChangeCause: Hashable, Sendable {
    /// A power action succeeded (P9).
    case powerAction(PowerAction)
    /// The sync recorded the hardware state: unknown before (D5) or force=false (D8).
    case syncRecorded
    /// The sync gave up after max retries (M2).
    case syncMaxRetries
    /// The recovery task brought a `power failure` node back (R4).
    case recovery
}

/// One recorded change of `power_state`, as the store writes it in the same transaction as the node.
public struct RecordedPowerChange: Hashable, Sendable {
    public var nodeID: String
    public var from: PowerState?
    public var to: PowerState?
    public var cause: PowerChangeCause
    public var at: Timestamp

    public init(nodeID: String, from: PowerState?, to: PowerState?, cause: PowerChangeCause, at: Timestamp) {
        self.nodeID = nodeID
        self.from = from
        self.to = to
        self.cause = cause
        self.at = at
    }
}

/// A Nova `power-update` external event (ironic.md N3): one server, tag `POWER_ON` or `POWER_OFF`.
public struct NovaPowerUpdate: Hashable, Sendable {
    public enum Tag: String, Hashable, Sendable {
        case powerOn = "POWER_ON"
        case powerOff = "POWER_OFF"
    }

    public var serverUUID: String
    public var tag: Tag
    public var at: Timestamp

    public init(serverUUID: String, tag: Tag, at: Timestamp) {
        self.serverUUID = serverUUID
        self.tag = tag
        self.at = at
    }

    /// Ironic's rule (N1, N2): only nodes with an instance, and only `power on` / `power off`; nil and `error` are
    /// never sent. A successful action notifies even when the state did not change (a reboot ends `power on` →
    /// `power on`), so this does not compare `from` and `to`: callers only record the changes Ironic records.
    public static func event(for change: RecordedPowerChange, instanceUUID: String?) -> NovaPowerUpdate? {
        guard let instanceUUID else { return nil }
        switch change.to {
        case .powerOn: return NovaPowerUpdate(serverUUID: instanceUUID, tag: .powerOn, at: change.at)
        case .powerOff: return NovaPowerUpdate(serverUUID: instanceUUID, tag: .powerOff, at: change.at)
        case .error, nil: return nil
        }
    }
}
