import NIOCore
import NIOPosix

/// A datagram path to one BMC. Sending never blocks; received datagrams arrive on `inbound`.
/// Production uses UDP; simulations put an in-memory network behind the same protocol.
public protocol DatagramTransport: Sendable {
    func send(_ datagram: [UInt8])
    var inbound: AsyncStream<[UInt8]> { get }
    func close() async
}

/// UDP to one BMC endpoint (address and port). Datagrams from any other source are dropped.
public final class UDPTransport: DatagramTransport {
    private let channel: any Channel
    private let remote: SocketAddress
    public let inbound: AsyncStream<[UInt8]>

    private init(channel: any Channel, remote: SocketAddress, inbound: AsyncStream<[UInt8]>) {
        self.channel = channel
        self.remote = remote
        self.inbound = inbound
    }

    /// Opens a socket on an ephemeral port; `host` is resolved once.
    public static func connect(host: String, port: Int,
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> UDPTransport {
        let remote = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(256))
        let bindHost = remote.protocol == .inet6 ? "::" : "0.0.0.0"
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(InboundDatagramHandler(remote: remote, continuation: continuation))
                }
            }
            .bind(host: bindHost, port: 0).get()
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        return UDPTransport(channel: channel, remote: remote, inbound: stream)
    }

    public func send(_ datagram: [UInt8]) {
        let buffer = channel.allocator.buffer(bytes: datagram)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
    }

    public func close() async {
        try? await channel.close()
    }
}

private final class InboundDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let remote: SocketAddress
    private let continuation: AsyncStream<[UInt8]>.Continuation

    init(remote: SocketAddress, continuation: AsyncStream<[UInt8]>.Continuation) {
        self.remote = remote
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == remote else { return }
        continuation.yield(Array(envelope.data.readableBytesView))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors (nothing listening yet) are not fatal: the session's retransmission timers decide.
    }
}
