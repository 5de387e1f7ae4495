import IPMI
import VirtualBMCCore

typealias Node = VirtualBMCNode<String>

extension Duration {
    static func ms(_ value: Int) -> Duration { .milliseconds(value) }
}

extension BMCSpec {
    /// One administrator, admin/password, suites 17 and 3.
    static func fixture(powerOn: Bool = false, timings: ChassisTimings = ChassisTimings(),
                        faults: FaultSpec = .none) -> BMCSpec {
        BMCSpec(name: "bmc-1", address: "127.0.1.1", port: 623, powerOn: powerOn, timings: timings, faults: faults)
    }
}

/// An ASF presence ping: the cheapest datagram a BMC answers, for the packet-level faults.
func ping(_ tag: Int) -> [UInt8] { ASFMessage.ping(tag: UInt8(truncatingIfNeeded: tag)).encoded() }

/// Sends `count` pings one millisecond apart and returns every reply.
func pings(_ count: Int, to node: inout Node, from start: Duration = .zero) -> [Node.Reply] {
    (0..<count).flatMap { node.receive(ping($0), from: "console", now: start + .ms($0)) }
}

/// The RMCP+ payload type of a datagram, or nil when it is not RMCP+ framed.
func payloadType(_ datagram: [UInt8]) -> PayloadType? {
    guard datagram.count > 5, datagram[4] == 0x06 else { return nil }
    return PayloadType(rawValue: datagram[5] & 0x3F)
}

/// A real `ConsoleStateMachine` wired to one node by hand, in virtual time: each datagram is delivered at once and
/// each reply after its `delay`, which moves the clock. Retransmission timers are recorded, never fired: the cases
/// here either get an answer or are about the lack of one.
struct Bench {
    var node: Node
    var console: ConsoleStateMachine
    var now: Duration
    var consoleEntropy = SeededGenerator(seed: 0xC0FFEE)
    /// Every reply the node gave, in order.
    var replies: [Node.Reply] = []
    var established: SessionSummary?
    var failure: ConsoleError?
    var completions: [RequestToken: Result<IPMIResponse, ConsoleError>] = [:]

    init(node: Node, password: String = "password", now: Duration = .zero) {
        self.node = node
        self.now = now
        console = ConsoleStateMachine(configuration: ConsoleConfiguration(username: "admin", password: password))
    }

    init(spec: BMCSpec = .fixture(), seed: UInt64 = 7, password: String = "password") {
        self.init(node: Node(spec: spec, seed: seed, now: .zero), password: password)
    }

    /// A new console (fresh session) against the same node.
    mutating func reconnect(password: String = "password") {
        console = ConsoleStateMachine(configuration: ConsoleConfiguration(username: "admin", password: password))
        established = nil
        failure = nil
    }

    @discardableResult
    mutating func establish() -> SessionSummary? {
        perform(console.start(entropy: &consoleEntropy))
        return established
    }

    /// Runs one request to completion; nil when the console got no answer.
    mutating func run(_ request: IPMIRequest) -> IPMIResponse? {
        let (token, actions) = console.enqueue(request, entropy: &consoleEntropy)
        perform(actions)
        return try? completions[token]?.get()
    }

    mutating func powerIsOn() -> Bool? {
        run(GetChassisStatus.request).flatMap { try? GetChassisStatus.Response(data: $0.data).powerOn }
    }

    mutating func perform(_ actions: [ConsoleAction]) {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .send(let bytes):
                for reply in node.receive(bytes, from: "console", now: now) {
                    replies.append(reply)
                    now += reply.delay
                    queue += console.receive(reply.bytes, entropy: &consoleEntropy)
                }
            case .startTimer:
                break
            case .established(let summary):
                established = summary
            case .completed(let token, let result):
                completions[token] = result
            case .failed(let error):
                failure = error
            case .closed:
                break
            }
        }
    }
}
