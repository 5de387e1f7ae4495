/// A bare-metal node as Ironic stores it, restricted to what power management reads and writes.
/// A value: the node actor owns one and persists it; the core only computes new values.
public struct Node: Hashable, Sendable, Identifiable {
    /// Ironic's uuid, given by the caller (the core never generates ids).
    public var id: String
    public var name: String?
    /// Always `ipmi` today; kept as a string because Ironic's API exposes it.
    public var driver: String
    public var driverInfo: DriverInfo
    /// nil is Ironic's NOSTATE: never read yet, or lost after a failed read.
    public var powerState: PowerState?
    /// Set while a power action runs; only ever `power on`, `power off` or nil (0.3).
    public var targetPowerState: PowerState?
    public var provisionState: ProvisionState
    public var maintenance: Bool
    public var maintenanceReason: String?
    public var fault: NodeFault?
    public var lastError: String?
    public var instanceUUID: String?
    /// Ironic's free-form `extra`: a JSON object, kept as its canonical text so the core needs no JSON type.
    public var extra: String
    public var createdAt: Timestamp
    public var updatedAt: Timestamp?

    public init(
        id: String,
        name: String? = nil,
        driverInfo: DriverInfo,
        powerState: PowerState? = nil,
        targetPowerState: PowerState? = nil,
        provisionState: ProvisionState = .enroll,
        maintenance: Bool = false,
        maintenanceReason: String? = nil,
        fault: NodeFault? = nil,
        lastError: String? = nil,
        instanceUUID: String? = nil,
        extra: String = "{}",
        createdAt: Timestamp,
        updatedAt: Timestamp? = nil
    ) {
        self.id = id
        self.name = name
        self.driver = "ipmi"
        self.driverInfo = driverInfo
        self.powerState = powerState
        self.targetPowerState = targetPowerState
        self.provisionState = provisionState
        self.maintenance = maintenance
        self.maintenanceReason = maintenanceReason
        self.fault = fault
        self.lastError = lastError
        self.instanceUUID = instanceUUID
        self.extra = extra
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// An action holds the node from request to result; Ironic's exclusive lock plays this role.
    public var isPowerActionInProgress: Bool { targetPowerState != nil }
}
