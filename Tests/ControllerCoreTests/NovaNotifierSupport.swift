import ControllerCore

/// A seeded generator so fuzz inputs, back-off jitter and the property test replay exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drives a notifier machine in virtual time and records what it asked for.
struct NovaHarness {
    typealias Machine = NovaNotifierMachine
    var machine: Machine
    var random: SplitMix64
    var now: Duration = .zero
    var timers: [(token: Machine.TimerToken, due: Duration, after: Duration)] = []
    var sent: [Machine.Request] = []
    var settlements: [NovaSettlement] = []
    var inFlight: Machine.Request?
    var authenticateRequests = 0
    var configurationErrors: [String] = []
    var cleared = 0
    var stopped = false
    var nextID: Int64 = 1

    init(_ configuration: NovaNotifierConfiguration = NovaNotifierConfiguration(), seed: UInt64 = 42) {
        machine = Machine(configuration: configuration)
        random = SplitMix64(seed: seed)
    }

    @discardableResult
    mutating func handle(_ event: Machine.Event) -> [Machine.Action] {
        let actions = machine.handle(event, using: &random)
        for action in actions {
            switch action {
            case .startTimer(let token, let after): timers.append((token, now + after, after))
            case .send(let request):
                precondition(inFlight == nil, "two requests in flight")
                inFlight = request
                sent.append(request)
            case .authenticate: authenticateRequests += 1
            case .settle(let list): settlements += list
            case .reportConfigurationError(let message): configurationErrors.append(message)
            case .clearConfigurationError: cleared += 1
            case .stopped: stopped = true
            }
        }
        return actions
    }

    /// Queues new outbox rows with fresh ids; returns them.
    @discardableResult
    mutating func queue(_ items: [(String, NovaPowerUpdate.Tag)]) -> [NovaPendingEvent] {
        let events = items.map { instance, tag in
            defer { nextID += 1 }
            return NovaPendingEvent(id: nextID, nodeID: "node-\(instance.prefix(8))", update: NovaPowerUpdate(serverUUID: instance, tag: tag, at: .epoch))
        }
        handle(.eventsQueued(events))
        return events
    }

    mutating func complete(_ result: NovaRequestResult) {
        guard let request = inFlight else { preconditionFailure("nothing in flight") }
        inFlight = nil
        handle(.requestCompleted(request.id, result))
    }

    mutating func completeAll(_ code: Int) {
        complete(.perEvent(Array(repeating: code, count: inFlight!.events.count)))
    }

    /// Fires the earliest timer, advancing virtual time; false when none is left.
    @discardableResult
    mutating func fireNextTimer() -> Bool {
        guard let index = timers.indices.min(by: { timers[$0].due < timers[$1].due }) else { return false }
        let timer = timers.remove(at: index)
        now = max(now, timer.due)
        handle(.timerFired(timer.token))
        return true
    }

    func settlement(of id: Int64) -> NovaSettlement? { settlements.first { $0.event.id == id } }
}

func instanceUUID(_ n: Int) -> String {
    let hex = String(n, radix: 16)
    return "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
}

/// A minimal JSON reader, enough to prove a body parses and to read the events back.
enum JSON: Equatable {
    case object([String: JSON]), array([JSON]), string(String), number(Double), bool(Bool), null

    static func parse(_ bytes: [UInt8]) -> JSON? {
        var reader = Reader(bytes: bytes)
        guard let value = reader.value() else { return nil }
        reader.skipSpace()
        return reader.index == bytes.count ? value : nil
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func literal(_ text: String) -> Bool {
            let expected = Array(text.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else { return false }
            index += expected.count
            return true
        }

        mutating func value() -> JSON? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var object: [String: JSON] = [:]
                skipSpace()
                if literal("}") { return .object(object) }
                while true {
                    skipSpace()
                    guard case .string(let key)? = string() else { return nil }
                    skipSpace()
                    guard literal(":"), let member = value() else { return nil }
                    object[key] = member
                    skipSpace()
                    if literal(",") { continue }
                    return literal("}") ? .object(object) : nil
                }
            case UInt8(ascii: "["):
                index += 1
                var array: [JSON] = []
                skipSpace()
                if literal("]") { return .array(array) }
                while true {
                    guard let element = value() else { return nil }
                    array.append(element)
                    skipSpace()
                    if literal(",") { continue }
                    return literal("]") ? .array(array) : nil
                }
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default:
                let start = index
                while index < bytes.count, "-+.eE0123456789".utf8.contains(bytes[index]) { index += 1 }
                return Double(String(decoding: bytes[start..<index], as: UTF8.self)).map(JSON.number)
            }
        }

        mutating func string() -> JSON? {
            guard literal("\"") else { return nil }
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return .string(String(decoding: out, as: UTF8.self))
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard bytes.count - index >= 4, let scalar = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                            let unicode = Unicode.Scalar(scalar)
                        else { return nil }
                        index += 4
                        out += Array(String(Character(unicode)).utf8)
                    default: return nil
                    }
                case 0x00..<0x20: return nil  // raw control characters are not allowed in JSON strings
                default: out.append(byte)
                }
            }
            return nil
        }
    }
}

/// The events of a body, if it has exactly Nova's shape (nova.md §1.2: no other keys).
func novaEvents(_ body: [UInt8]) -> [(uuid: String, tag: String)]? {
    guard case .object(let root)? = JSON.parse(body), root.count == 1, case .array(let events)? = root["events"], !events.isEmpty else { return nil }
    var out: [(uuid: String, tag: String)] = []
    for event in events {
        guard case .object(let fields) = event, fields.count == 3, fields["name"] == .string("power-update"),
            case .string(let uuid)? = fields["server_uuid"], case .string(let tag)? = fields["tag"]
        else { return nil }
        out.append((uuid, tag))
    }
    return out
}
