import Foundation

/// One Nova instance as the fake stores it (the DB row). `host == nil` is the shelved-offloaded/never-scheduled
/// case that makes Nova answer a per-event 422.
public struct FakeNovaInstance: Sendable, Equatable {
    public var uuid: String
    public var vmState: String
    public var powerState: Int
    public var taskState: String?
    public var host: String?
    /// The Ironic node uuid (`node`, shown as `hypervisor_hostname`).
    public var node: String?

    public init(uuid: String, vmState: String, powerState: Int, taskState: String? = nil, host: String?,
                node: String? = nil) {
        self.uuid = uuid
        self.vmState = vmState
        self.powerState = powerState
        self.taskState = taskState
        self.host = host
        self.node = node
    }

    /// Nova's integer power states (`nova/compute/power_state.py`).
    public static let noState = 0
    public static let running = 1
    public static let shutdown = 4
    public static let crashed = 6

    var json: [String: Any] {
        ["uuid": uuid, "vm_state": vmState, "power_state": powerState, "task_state": taskState ?? NSNullValue,
         "host": host ?? NSNullValue, "node": node ?? NSNullValue]
    }
}

/// What became of one received event: the API's per-event answer, then what "compute" did with it.
public enum FakeNovaOutcome: String, Sendable, Equatable {
    case applied, noOp = "no-op", preempted, pending
    /// A tag other than exactly POWER_ON/POWER_OFF: Nova answers 200, logs a warning and never dispatches it.
    case invalidTag = "invalid-tag"
    /// Accepted but not a power-update: recorded, nothing to apply.
    case ignored
    /// The per-event code was not 200.
    case rejected
}

/// One event as received, for inspection by tests.
public struct FakeNovaReceivedEvent: Sendable, Equatable {
    public var request: Int
    public var name: String
    public var serverUUID: String
    public var tag: String?
    public var code: Int
    public var outcome: FakeNovaOutcome
    /// Nova's log line for the outcome (same key phrases: "no-op", "possibly preempted", ...).
    public var log: String

    var json: [String: Any] {
        ["request": request, "name": name, "server_uuid": serverUUID, "tag": tag ?? NSNullValue, "code": code,
         "outcome": outcome.rawValue, "log": log]
    }
}

/// Fault knobs. Counters are consumed per request to the Nova API (Keystone included for `outage` only).
public struct FakeNovaFaults: Sendable, Equatable {
    /// Added by the HTTP shell before every answer.
    public var latencyMilliseconds = 0
    /// The next N external-events requests get `failStatus`.
    public var failNext = 0
    public var failStatus = 503
    /// The next N external-events requests get 401, as if the token had expired.
    public var unauthorizedNext = 0
    /// Every Nova and Keystone request gets 503 while on.
    public var outage = false
    /// Bodies larger than this get 413; lowering it tests a client's split on 413 with few events.
    public var maxBodyBytes = FakeNovaSchema.maxBodyBytes

    public init() {}
}

/// An instance action (`os-instance-actions`): `start`/`stop`, from an accepted power-update, the sync or a user.
public struct FakeNovaInstanceAction: Sendable, Equatable {
    public enum Origin: String, Sendable, Equatable { case event, sync, user }
    public var action: String
    public var requestID: String
    public var origin: Origin

    public init(action: String, requestID: String, origin: Origin) {
        self.action = action
        self.requestID = requestID
        self.origin = origin
    }
}
