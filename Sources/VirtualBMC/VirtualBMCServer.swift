import IPMI
import VirtualBMCCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// What one virtual BMC is: its users, identity and initial power state.
public struct VirtualBMCConfiguration: Sendable {
    public var bmc: BMCConfiguration
    public var initialPowerOn: Bool

    public init(username: String, password: String, guid: [UInt8], initialPowerOn: Bool = false,
                cipherSuites: [CipherSuite] = [.suite17, .suite3], kg: [UInt8]? = nil) {
        self.bmc = BMCConfiguration(users: [BMCUser(name: username, password: password)], guid: guid, kg: kg,
                                    cipherSuites: cipherSuites)
        self.initialPowerOn = initialPowerOn
    }
}

/// Counters a virtual BMC keeps about its traffic.
public struct VirtualBMCCounters: Sendable, Hashable {
    public var datagramsIn = 0
    public var datagramsOut = 0
    public var ignored = 0
    public var commands = 0
}

/// The session layer, the chassis and the entropy of one BMC, behind one lock: the UDP handler runs on an event
/// loop, while tests and the CLI read state from other tasks.
final class VirtualBMCCore: Sendable {
    struct State: Sendable {
        var machine: BMCStateMachine<SocketAddress>
        var chassis: SimulatedChassis
        var counters = VirtualBMCCounters()
        var entropy = SystemRandomNumberGenerator()
    }

    let state: Mutex<State>
    private let epoch = NIODeadline.now()

    init(_ configuration: VirtualBMCConfiguration) {
        state = Mutex(State(machine: BMCStateMachine(configuration: configuration.bmc),
                            chassis: SimulatedChassis(powerOn: configuration.initialPowerOn, guid: configuration.bmc.guid)))
    }

    /// Time since the server started, the only clock the session layer sees.
    var now: Duration { .nanoseconds((NIODeadline.now() - epoch).nanoseconds) }

    /// Runs one datagram through the session layer and, when it is a command, the chassis. Returns the reply.
    func handle(_ datagram: [UInt8], from peer: SocketAddress) -> [UInt8]? {
        let now = self.now
        return state.withLock { state in
            state.counters.datagramsIn += 1
            let reply: [UInt8]?
            switch state.machine.receive(datagram, from: peer, now: now, entropy: &state.entropy) {
            case .reply(let bytes):
                reply = bytes
            case .dispatch(let request):
                state.counters.commands += 1
                let response = state.chassis.handle(request.request)
                reply = state.machine.respond(to: request, with: response, entropy: &state.entropy)
            case .ignored:
                state.counters.ignored += 1
                reply = nil
            }
            if reply != nil { state.counters.datagramsOut += 1 }
            return reply
        }
    }

    func expireSessions() {
        let now = self.now
        state.withLock { _ = $0.machine.expireSessions(now: now) }
    }
}

/// One virtual BMC served over UDP. Bind it to loopback: it exists for tests, CI and demos.
public final class VirtualBMCServer: Sendable {
    private let core: VirtualBMCCore
    private let channel: any Channel
    private let expiryTask: RepeatedTask
    public let address: SocketAddress

    public var port: Int { address.port ?? 0 }

    private init(core: VirtualBMCCore, channel: any Channel, expiryTask: RepeatedTask) {
        self.core = core
        self.channel = channel
        self.expiryTask = expiryTask
        self.address = channel.localAddress!
    }

    /// Starts serving on `host:port` (port 0 picks a free one).
    public static func start(_ configuration: VirtualBMCConfiguration, host: String = "127.0.0.1", port: Int = 0,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> VirtualBMCServer {
        let core = VirtualBMCCore(configuration)
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BMCDatagramHandler(core: core))
                }
            }
            .bind(host: host, port: port).get()
        let expiry = channel.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            core.expireSessions()
        }
        return VirtualBMCServer(core: core, channel: channel, expiryTask: expiry)
    }

    public var chassis: SimulatedChassis { core.state.withLock { $0.chassis } }
    public var counters: VirtualBMCCounters { core.state.withLock { $0.counters } }
    public var sessionCount: Int { core.state.withLock { $0.machine.sessions.count } }

    /// Changes power out of band, as a person pressing the power button would.
    public func pressPowerButton() {
        core.state.withLock { $0.chassis.powerOn.toggle() }
    }

    public func stop() async throws {
        expiryTask.cancel()
        try await channel.close()
    }
}

private final class BMCDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let core: VirtualBMCCore

    init(core: VirtualBMCCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let datagram = Array(envelope.data.readableBytesView)
        guard let reply = core.handle(datagram, from: envelope.remoteAddress) else { return }
        let buffer = context.channel.allocator.buffer(bytes: reply)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket error (e.g. ICMP port unreachable surfaced as ECONNREFUSED) must not take the BMC down.
    }
}
