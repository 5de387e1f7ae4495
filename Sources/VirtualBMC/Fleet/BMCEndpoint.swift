import IPMI
import NIOCore
import NIOPosix
import Synchronization
import VirtualBMCCore

/// One virtual BMC's socket and state. The node (pure) sits behind a mutex: the UDP handler runs on an event loop,
/// the management API and the fleet ticker on others.
final class BMCEndpoint: Sendable {
    /// Larger than any RMCP+ datagram a client sends (the longest, RAKP1 with a 16-byte name, is 60 bytes of payload).
    static let receiveBufferSize = 512

    let node: Mutex<VirtualBMCNode<SocketAddress>>
    private let channel: Mutex<(any Channel)?>
    private let clock: FleetClock
    /// The port actually bound: differs from the spec's when the spec asked for port 0.
    private let boundPort: Mutex<Int?> = Mutex(nil)

    init(spec: BMCSpec, seed: UInt64, clock: FleetClock) {
        self.clock = clock
        self.node = Mutex(VirtualBMCNode(spec: spec, seed: seed, now: clock.now))
        self.channel = Mutex(nil)
    }

    var spec: BMCSpec { node.withLock { $0.spec } }
    var isRunning: Bool { channel.withLock { $0 != nil } }

    var port: Int { boundPort.withLock { $0 } ?? spec.port }

    /// Binds the BMC's endpoint; a second start is a no-op.
    func start(group: any EventLoopGroup) async throws {
        guard !isRunning else { return }
        // A restarted BMC keeps the port it first bound, even when its spec said 0.
        let port = self.port
        let spec = self.spec
        let bound = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // IPMI datagrams are a few hundred bytes at most; each channel keeps its receive buffer, and 10,000
            // channels keeping NIO's default 2 KiB would cost 20 MB.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.receiveBufferSize))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FleetDatagramHandler(endpoint: self))
                }
            }
            .bind(host: spec.address, port: port).get()
        boundPort.withLock { $0 = bound.localAddress?.port ?? port }
        let previous = channel.withLock { current -> (any Channel)? in
            defer { current = current ?? bound }
            return current
        }
        if previous != nil { try? await bound.close() }
    }

    /// Closes the socket; the node keeps its state (power, boot device) for a later start.
    func stop() async {
        let open = channel.withLock { current -> (any Channel)? in
            defer { current = nil }
            return current
        }
        try? await open?.close()
    }

    func receive(_ datagram: [UInt8], from peer: SocketAddress) -> [VirtualBMCNode<SocketAddress>.Reply] {
        let now = clock.now
        return node.withLock { $0.receive(datagram, from: peer, now: now) }
    }

    func advance() {
        let now = clock.now
        node.withLock { $0.advance(to: now) }
    }

    func snapshot() -> BMCSnapshot {
        let now = clock.now
        return node.withLock { node in
            node.advance(to: now)
            return node.snapshot(now: now)
        }.with(port: port)
    }

    func pressPowerButton() {
        let now = clock.now
        node.withLock { $0.pressPowerButton(now: now) }
    }

    func setFaults(_ faults: FaultSpec) {
        let now = clock.now
        node.withLock { $0.setFaults(faults, now: now) }
    }
}

/// Time since the fleet started: the only clock the nodes see.
struct FleetClock: Sendable {
    let epoch = NIODeadline.now()
    var now: Duration { .nanoseconds((NIODeadline.now() - epoch).nanoseconds) }
}

private final class FleetDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let endpoint: BMCEndpoint

    init(endpoint: BMCEndpoint) { self.endpoint = endpoint }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let replies = endpoint.receive(Array(envelope.data.readableBytesView), from: envelope.remoteAddress)
        for reply in replies {
            let outbound = AddressedEnvelope(remoteAddress: envelope.remoteAddress,
                                             data: context.channel.allocator.buffer(bytes: reply.bytes))
            if reply.delay <= .zero {
                context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
            } else {
                // Injected latency: the reply leaves later, without holding anything up meanwhile.
                let channel = context.channel
                context.eventLoop.scheduleTask(in: .nanoseconds(Int64(reply.delay.nanosecondsClamped))) {
                    channel.writeAndFlush(outbound, promise: nil)
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors from clients that went away must not stop the BMC.
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        guard seconds < Int64.max / 1_000_000_000 else { return .max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension BMCSnapshot {
    func with(port: Int) -> Self {
        var copy = self
        copy.port = port
        return copy
    }
}
